//! The Rust half of `zarr_rs.CodecPipeline`: one chunk layout (codecs,
//! chunk shape, data type, fill value) that decodes batches of chunks
//! straight into a numpy output and encodes batches of chunks from a numpy
//! value, in parallel, with the GIL released.
//!
//! Selections arrive already resolved by zarr-python, per chunk, as one
//! `(start, step, len)` triple per chunk axis, for the chunk and for the
//! output (or value), where the output's shape has a length-1 axis in
//! place of each dropped axis; see `zarr_rs/pipeline.py`.

use numpy::{PyReadonlyArray1, PyReadwriteArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rayon::prelude::*;
use std::sync::Arc;
use zarr::chunk::{
    all_equal, copy_strided_raw, fill_strided_raw, ChunkProjection, DimSlice, ResolvedSelection,
    StridedRegion,
};
use zarr::codec::{ArrayBytes, ChunkSpec, CodecChain, IndexLocation, ShardingCodec};
use zarr::dtype::DataType;
use zarr::metadata::{ArrayMetadataV2, CodecMetadata};

/// One axis of a region: `(start, step, len)`.
type Axis = (u64, u64, u64);

/// One inner chunk of a planned shard read: its bytes (`None`: the fill
/// value), what the read takes of it, and where that goes in the output.
type InnerTask<'a> = (Option<&'a [u8]>, ChunkProjection, Vec<Axis>);

fn dims(region: &[Axis]) -> Vec<DimSlice> {
    region
        .iter()
        .map(|&(start, step, len)| DimSlice { start, step, len })
        .collect()
}

/// Whether `region` lies inside a C-order buffer of `shape`.
fn inside(region: &[Axis], shape: &[u64]) -> bool {
    region.len() == shape.len()
        && region.iter().zip(shape).all(|(&(start, step, len), &n)| {
            len == 0
                || (step >= 1
                    && (len - 1)
                        .checked_mul(step)
                        .and_then(|x| x.checked_add(start))
                        .is_some_and(|last| last < n))
        })
}

/// A pointer into a numpy buffer that chunks of one batch write disjoint
/// regions of from several threads.
#[derive(Clone, Copy)]
struct SharedMut(*mut u8);
// SAFETY: each chunk writes only its own output region (zarr-python's
// indexers give the chunks of one batch disjoint output regions), and the
// buffer outlives the batch (the caller holds it borrowed).
unsafe impl Send for SharedMut {}
unsafe impl Sync for SharedMut {}

impl SharedMut {
    /// The pointer (a method, so closures capture the whole `SharedMut`).
    fn get(self) -> *mut u8 {
        self.0
    }
}

/// A chunk layout on the engine: what `zarr_rs.CodecPipeline` hands a batch
/// of chunks to.
#[pyclass(module = "zarr_rs._zarr_rs", frozen)]
pub struct ChunkCodec {
    chain: Arc<CodecChain>,
    spec: ChunkSpec,
    size: usize,
    write_empty_chunks: bool,
}

fn err(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

impl ChunkCodec {
    /// The sharding codec when it is the whole chain: parts of shards are
    /// then read inner chunk by inner chunk (zarr-python's partial decode).
    fn sharding(&self) -> Option<&ShardingCodec> {
        if !self.chain.array_to_array().is_empty() || !self.chain.bytes_to_bytes().is_empty() {
            return None;
        }
        self.chain.array_to_bytes().as_sharding()
    }

    /// The inner chunks of a shard that `chunk_region` touches.
    fn inner_projections(
        &self,
        sharding: &ShardingCodec,
        chunk_region: &[Axis],
    ) -> PyResult<Vec<ChunkProjection>> {
        ResolvedSelection {
            dims: dims(chunk_region),
            dropped: vec![false; chunk_region.len()],
        }
        .chunks(sharding.chunk_shape())
        .map_err(err)
    }

    fn chunk_bytes(&self) -> usize {
        self.spec.num_elements() as usize * self.size
    }

    fn check_regions(&self, chunk: &[Axis], other: &[Axis], other_shape: &[u64]) -> PyResult<()> {
        let same_lens =
            chunk.len() == other.len() && chunk.iter().zip(other).all(|(a, b)| a.2 == b.2);
        if !same_lens || !inside(chunk, &self.spec.shape) || !inside(other, other_shape) {
            return Err(PyValueError::new_err(format!(
                "chunk region {chunk:?} of {:?} and region {other:?} of {other_shape:?} do not match",
                self.spec.shape
            )));
        }
        Ok(())
    }

    /// Decode one chunk (`None`: missing, the fill value) into its output region.
    fn decode_one(
        &self,
        encoded: Option<&[u8]>,
        chunk_region: &[Axis],
        out: SharedMut,
        out_shape: &[u64],
        out_region: &[Axis],
    ) -> Result<(), String> {
        let dst_dims = dims(out_region);
        let dst = StridedRegion {
            shape: out_shape,
            dims: &dst_dims,
        };
        let Some(encoded) = encoded else {
            // SAFETY: the region lies inside the output (checked) and is this chunk's alone.
            unsafe { fill_strided_raw(out.get(), &dst, self.spec.fill_value.as_bytes()) };
            return Ok(());
        };
        let mut chunk = vec![0u8; self.chunk_bytes()];
        self.chain
            .decode_into(encoded, &self.spec, &mut chunk)
            .map_err(|e| e.to_string())?;
        let src_dims = dims(chunk_region);
        let src = StridedRegion {
            shape: &self.spec.shape,
            dims: &src_dims,
        };
        // SAFETY: both regions lie inside their buffers (checked), and the
        // destination region is this chunk's alone.
        unsafe { copy_strided_raw(chunk.as_ptr(), &src, out.get(), &dst, self.size) };
        Ok(())
    }

    /// Build and encode one chunk; `None` when it is all fill and empty
    /// chunks are not written (the caller deletes it).
    #[allow(clippy::too_many_arguments)]
    fn encode_one(
        &self,
        existing: Option<&[u8]>,
        complete: bool,
        chunk_region: &[Axis],
        value: &[u8],
        value_shape: &[u64],
        value_region: &[Axis],
        scalar: bool,
    ) -> Result<Option<Vec<u8>>, String> {
        let n = self.spec.num_elements() as usize;
        let mut chunk = match existing {
            Some(enc) if !complete => {
                let mut buf = vec![0u8; self.chunk_bytes()];
                self.chain
                    .decode_into(enc, &self.spec, &mut buf)
                    .map_err(|e| e.to_string())?;
                buf
            }
            _ => self.spec.fill_value.as_bytes().repeat(n),
        };
        let chunk_dims = dims(chunk_region);
        let dst = StridedRegion {
            shape: &self.spec.shape,
            dims: &chunk_dims,
        };
        if scalar {
            // SAFETY: the region lies inside `chunk` (checked).
            unsafe { fill_strided_raw(chunk.as_mut_ptr(), &dst, &value[..self.size]) };
        } else {
            let value_dims = dims(value_region);
            let src = StridedRegion {
                shape: value_shape,
                dims: &value_dims,
            };
            // SAFETY: both regions lie inside their buffers (checked).
            unsafe { copy_strided_raw(value.as_ptr(), &src, chunk.as_mut_ptr(), &dst, self.size) };
        }
        if !self.write_empty_chunks && all_equal(&chunk, self.spec.fill_value.as_bytes()) {
            return Ok(None);
        }
        self.chain
            .encode(ArrayBytes::Fixed(chunk), &self.spec)
            .map(Some)
            .map_err(|e| e.to_string())
    }
}

#[pymethods]
impl ChunkCodec {
    /// A layout from zarr-python's codec entries (`codec.to_dict()`), the
    /// chunk shape, the V3 data type and fill value JSON, and
    /// `write_empty_chunks`. Refused (ValueError) for what the engine does
    /// not implement, and for variable-length data types (the pipeline then
    /// uses zarr-python's own).
    #[new]
    fn new(
        codecs_json: &str,
        shape: Vec<u64>,
        data_type_json: &str,
        fill_value_json: &str,
        write_empty_chunks: bool,
    ) -> PyResult<Self> {
        let dt = DataType::from_json(&serde_json::from_str(data_type_json).map_err(err)?)
            .map_err(err)?;
        let size = dt
            .size()
            .ok_or_else(|| PyValueError::new_err("variable-length data type"))?;
        let fill_value = dt
            .fill_value_from_json(&serde_json::from_str(fill_value_json).map_err(err)?)
            .map_err(err)?;
        let codecs: Vec<CodecMetadata> = serde_json::from_str(codecs_json).map_err(err)?;
        let spec = ChunkSpec {
            shape,
            data_type: dt,
            fill_value,
        };
        let chain = CodecChain::from_metadata(&codecs, &spec)
            .map_err(err)?
            .with_write_empty_chunks(write_empty_chunks);
        Ok(ChunkCodec {
            chain: Arc::new(chain),
            spec,
            size,
            write_empty_chunks,
        })
    }

    /// A layout for the chunks of a Zarr V2 array from a `.zarray`
    /// document describing one chunk (`shape` and `chunks` the chunk shape;
    /// `dtype`, `fill_value`, `order`, `filters` and `compressor` as
    /// zarr-python's V2 codec holds them): the engine's V2 chain (filters,
    /// byte order, memory order, compressor). Refused (ValueError) as
    /// [`ChunkCodec::new`] refuses.
    #[staticmethod]
    fn from_v2(zarray_json: &str, write_empty_chunks: bool) -> PyResult<Self> {
        let v2 = ArrayMetadataV2::from_json_bytes(zarray_json.as_bytes(), None).map_err(err)?;
        let meta = v2.to_v3().map_err(err)?;
        let dt = meta.data_type;
        let size = dt
            .size()
            .ok_or_else(|| PyValueError::new_err("variable-length data type"))?;
        let spec = ChunkSpec {
            shape: meta.chunk_shape().to_vec(),
            data_type: dt,
            fill_value: meta.fill_value.clone(),
        };
        let chain = CodecChain::from_metadata(&meta.codecs, &spec)
            .map_err(err)?
            .with_write_empty_chunks(write_empty_chunks);
        Ok(ChunkCodec {
            chain: Arc::new(chain),
            spec,
            size,
            write_empty_chunks,
        })
    }

    /// Bytes per element.
    #[getter]
    fn element_size(&self) -> usize {
        self.size
    }

    /// For a chain that is one sharding codec: `(index_at_start, index_size)`,
    /// how to fetch a shard's index; else `None`.
    #[getter]
    fn shard_index(&self) -> PyResult<Option<(bool, u64)>> {
        let Some(sh) = self.sharding() else {
            return Ok(None);
        };
        let size = sh.index_size(&self.spec).map_err(err)?;
        Ok(Some((sh.index_location() == IndexLocation::Start, size)))
    }

    /// Plan reading `chunk_region` of a shard with the encoded index
    /// `index`: per inner chunk the region touches, its `(start, end)` byte
    /// range in the shard, or `None` when it is not stored (the fill value).
    fn plan_shard(
        &self,
        index: PyReadonlyArray1<'_, u8>,
        chunk_region: Vec<Axis>,
    ) -> PyResult<Vec<Option<(u64, u64)>>> {
        let sh = self
            .sharding()
            .ok_or_else(|| PyValueError::new_err("not a sharded layout"))?;
        if !inside(&chunk_region, &self.spec.shape) {
            return Err(PyValueError::new_err("the region lies outside the shard"));
        }
        let bytes = index
            .as_slice()
            .map_err(|_| PyValueError::new_err("the index must be contiguous"))?;
        let index = sh
            .decode_index(bytes, &self.spec, 0..u64::MAX)
            .map_err(err)?;
        Ok(self
            .inner_projections(sh, &chunk_region)?
            .iter()
            .map(|q| index.get_coords(&q.chunk_coords).map(|r| (r.start, r.end)))
            .collect())
    }

    /// Decode planned parts of shards into `out` (as [`ChunkCodec::read_into`]
    /// takes it): shard `i` reads `chunk_regions[i]` into `out_regions[i]`
    /// (steps of 1 in the output) from `inner[i]`, the bytes of each inner
    /// chunk [`ChunkCodec::plan_shard`] listed (`None`: the fill value).
    fn read_planned(
        &self,
        py: Python<'_>,
        inner: Vec<Vec<Option<PyReadonlyArray1<'_, u8>>>>,
        mut out: PyReadwriteArray1<'_, u8>,
        out_shape: Vec<u64>,
        chunk_regions: Vec<Vec<Axis>>,
        out_regions: Vec<Vec<Axis>>,
    ) -> PyResult<()> {
        let sh = self
            .sharding()
            .ok_or_else(|| PyValueError::new_err("not a sharded layout"))?;
        if inner.len() != chunk_regions.len() || inner.len() != out_regions.len() {
            return Err(PyValueError::new_err("one region pair per shard"));
        }
        let out_len = out_shape.iter().product::<u64>() as usize * self.size;
        let out = out
            .as_slice_mut()
            .map_err(|_| PyValueError::new_err("the output must be C-contiguous"))?;
        if out.len() != out_len {
            return Err(PyValueError::new_err("the output does not match its shape"));
        }
        // Every task: one inner chunk of one shard, with its destination.
        let mut tasks: Vec<InnerTask<'_>> = Vec::new();
        for ((parts, c), o) in inner.iter().zip(&chunk_regions).zip(&out_regions) {
            self.check_regions(c, o, &out_shape)?;
            if o.iter().any(|&(_, step, len)| step != 1 && len > 1) {
                return Err(PyValueError::new_err("planned reads write steps of 1"));
            }
            let projections = self.inner_projections(sh, c)?;
            if projections.len() != parts.len() {
                return Err(PyValueError::new_err("one part per planned inner chunk"));
            }
            for (q, part) in projections.into_iter().zip(parts) {
                let bytes = part
                    .as_ref()
                    .map(|a| a.as_slice())
                    .transpose()
                    .map_err(|_| PyValueError::new_err("inner chunks must be contiguous"))?;
                let dst: Vec<Axis> = o
                    .iter()
                    .zip(&q.out_start)
                    .zip(&q.in_chunk)
                    .map(|((&(start, _, _), &off), d)| (start + off, 1, d.len))
                    .collect();
                tasks.push((bytes, q, dst));
            }
        }
        let inner_spec = sh.inner_spec(&self.spec);
        let inner_chain = sh.inner_codecs();
        let inner_len = inner_spec.num_elements() as usize * self.size;
        let ptr = SharedMut(out.as_mut_ptr());
        let fill = self.spec.fill_value.as_bytes();
        let pool = crate::pool()?;
        py.detach(|| {
            pool.install(|| {
                tasks
                    .par_iter()
                    .map(|(bytes, q, dst)| {
                        let dst_dims = dims(dst);
                        let dst_region = StridedRegion {
                            shape: &out_shape,
                            dims: &dst_dims,
                        };
                        let Some(bytes) = bytes else {
                            // SAFETY: inside the output (checked), this task's alone.
                            unsafe { fill_strided_raw(ptr.get(), &dst_region, fill) };
                            return Ok(());
                        };
                        let mut chunk = vec![0u8; inner_len];
                        inner_chain
                            .decode_into(bytes, &inner_spec, &mut chunk)
                            .map_err(|e| e.to_string())?;
                        let src = StridedRegion {
                            shape: &inner_spec.shape,
                            dims: &q.in_chunk,
                        };
                        // SAFETY: both regions lie inside their buffers, the
                        // destination is this task's alone.
                        unsafe {
                            copy_strided_raw(chunk.as_ptr(), &src, ptr.0, &dst_region, self.size)
                        };
                        Ok(())
                    })
                    .collect::<Result<Vec<()>, String>>()
            })
        })
        .map_err(PyValueError::new_err)?;
        Ok(())
    }

    /// Decode a batch into `out` (the output's elements as a flat writable
    /// `uint8` array over the output's C-order buffer of `out_shape`):
    /// chunk `i` (`encoded[i]`, a `uint8` array, or `None` when missing)
    /// goes from `chunk_regions[i]` to `out_regions[i]`. Returns, per chunk,
    /// whether it was present.
    fn read_into(
        &self,
        py: Python<'_>,
        encoded: Vec<Option<PyReadonlyArray1<'_, u8>>>,
        mut out: PyReadwriteArray1<'_, u8>,
        out_shape: Vec<u64>,
        chunk_regions: Vec<Vec<Axis>>,
        out_regions: Vec<Vec<Axis>>,
    ) -> PyResult<Vec<bool>> {
        if encoded.len() != chunk_regions.len() || encoded.len() != out_regions.len() {
            return Err(PyValueError::new_err("one region pair per chunk"));
        }
        let out_len = out_shape.iter().product::<u64>() as usize * self.size;
        let out = out
            .as_slice_mut()
            .map_err(|_| PyValueError::new_err("the output must be C-contiguous"))?;
        if out.len() != out_len {
            return Err(PyValueError::new_err(format!(
                "the output holds {} bytes, its shape {out_shape:?} needs {out_len}",
                out.len()
            )));
        }
        for (c, o) in chunk_regions.iter().zip(&out_regions) {
            self.check_regions(c, o, &out_shape)?;
        }
        let slices: Vec<Option<&[u8]>> = encoded
            .iter()
            .map(|e| e.as_ref().map(|a| a.as_slice()).transpose())
            .collect::<Result<_, _>>()
            .map_err(|_| PyValueError::new_err("encoded chunks must be contiguous"))?;
        let ptr = SharedMut(out.as_mut_ptr());
        let pool = crate::pool()?;
        py.detach(|| {
            pool.install(|| {
                slices
                    .par_iter()
                    .zip(&chunk_regions)
                    .zip(&out_regions)
                    .map(|((enc, c), o)| self.decode_one(*enc, c, ptr, &out_shape, o))
                    .collect::<Result<Vec<()>, String>>()
            })
        })
        .map_err(PyValueError::new_err)?;
        Ok(slices.iter().map(Option::is_some).collect())
    }

    /// Encode a batch from `value` (its elements as a flat `uint8` array
    /// over a C-order buffer of `value_shape`; with `scalar`, one element
    /// written everywhere): chunk `i` is built from `existing[i]` (its stored
    /// bytes, needed when not `complete[i]`), with `value_regions[i]` of the
    /// value written to `chunk_regions[i]`. Returns, per chunk, its encoded
    /// bytes, or `None` to delete it (all fill, empty chunks not written).
    #[allow(clippy::too_many_arguments)]
    fn encode_from<'py>(
        &self,
        py: Python<'py>,
        existing: Vec<Option<PyReadonlyArray1<'py, u8>>>,
        complete: Vec<bool>,
        value: PyReadonlyArray1<'py, u8>,
        value_shape: Vec<u64>,
        chunk_regions: Vec<Vec<Axis>>,
        value_regions: Vec<Vec<Axis>>,
        scalar: bool,
    ) -> PyResult<Vec<Option<Bound<'py, PyBytes>>>> {
        let n = existing.len();
        if complete.len() != n || chunk_regions.len() != n || value_regions.len() != n {
            return Err(PyValueError::new_err("one entry per chunk"));
        }
        let value = value
            .as_slice()
            .map_err(|_| PyValueError::new_err("the value must be C-contiguous"))?;
        if scalar {
            if value.len() != self.size {
                return Err(PyValueError::new_err("a scalar value is one element"));
            }
        } else {
            let want = value_shape.iter().product::<u64>() as usize * self.size;
            if value.len() != want {
                return Err(PyValueError::new_err(format!(
                    "the value holds {} bytes, its shape {value_shape:?} needs {want}",
                    value.len()
                )));
            }
            for (c, v) in chunk_regions.iter().zip(&value_regions) {
                self.check_regions(c, v, &value_shape)?;
            }
        }
        if scalar {
            for c in &chunk_regions {
                if !inside(c, &self.spec.shape) {
                    return Err(PyValueError::new_err(format!(
                        "chunk region {c:?} outside {:?}",
                        self.spec.shape
                    )));
                }
            }
        }
        let existing: Vec<Option<&[u8]>> = existing
            .iter()
            .map(|e| e.as_ref().map(|a| a.as_slice()).transpose())
            .collect::<Result<_, _>>()
            .map_err(|_| PyValueError::new_err("stored chunks must be contiguous"))?;
        let pool = crate::pool()?;
        let encoded = py
            .detach(|| {
                pool.install(|| {
                    (0..n)
                        .into_par_iter()
                        .map(|i| {
                            self.encode_one(
                                existing[i],
                                complete[i],
                                &chunk_regions[i],
                                value,
                                &value_shape,
                                &value_regions[i],
                                scalar,
                            )
                        })
                        .collect::<Result<Vec<_>, String>>()
                })
            })
            .map_err(PyValueError::new_err)?;
        Ok(encoded
            .into_iter()
            .map(|e| e.map(|b| PyBytes::new(py, &b)))
            .collect())
    }
}
