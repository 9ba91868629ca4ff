//! The `sharding_indexed` codec (array-to-bytes): one stored object (a
//! shard) holds a grid of inner chunks, each encoded with its own codec
//! chain, plus an index saying where each inner chunk lies.
//!
//! The index is an array of `(offset, nbytes)` pairs of `uint64`, one pair
//! per inner chunk in C order over the inner chunk grid, encoded with the
//! `index_codecs` (default: `bytes` little-endian, then `crc32c`), and stored
//! at the start or the end of the shard. An inner chunk that is not stored
//! has the pair `(2^64 - 1, 2^64 - 1)`.
//!
//! As zarr-python 3.4.2 does, inner chunks whose elements all equal the fill
//! value are left out (unless [`ShardingCodec::with_write_empty_chunks`]:
//! the array's `write_empty_chunks` setting), and the stored inner chunks are laid out in Morton
//! (Z) order of their grid coordinates, so shards we write are byte for byte
//! the shards zarr-python writes. Reading follows the index, so any layout
//! reads.
//!
//! Inner chunks are encoded and decoded in parallel (rayon), and fixed-size
//! data decodes straight into the caller's shard buffer.

use super::config::{invalid, Config};
use super::{
    ArrayBytes, ArrayToBytesCodec, ChunkSpec, Codec, CodecChain, CodecError, CodecTraits, VarBytes,
};
use crate::chunk::{
    all_equal, contiguous_offset, copy_strided_raw, fill_strided_raw, for_each_element, DimSlice,
    StridedRegion,
};
use crate::dtype::{DataType, FillValue};
use crate::metadata::CodecMetadata;
use rayon::prelude::*;
use serde_json::{json, Map, Value};
use std::cell::RefCell;
use std::ops::Range;
use std::sync::Arc;

const NAME: &str = "sharding_indexed";

/// The index entry of an inner chunk that is not stored.
pub const EMPTY_ENTRY: u64 = u64::MAX;

/// Where the index lies in a shard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum IndexLocation {
    /// The index comes first; inner chunks follow it.
    Start,
    /// The inner chunks come first; the index is the last bytes (the default).
    #[default]
    End,
}

impl IndexLocation {
    /// The name written in metadata (`"start"` or `"end"`).
    pub fn as_str(&self) -> &'static str {
        match self {
            IndexLocation::Start => "start",
            IndexLocation::End => "end",
        }
    }

    /// Parse `"start"` or `"end"`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "start" => Some(IndexLocation::Start),
            "end" => Some(IndexLocation::End),
            _ => None,
        }
    }
}

/// The decoded index of one shard: where each inner chunk lies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardIndex {
    chunks_per_shard: Vec<u64>,
    /// `(offset, nbytes)` per inner chunk, C order.
    entries: Vec<(u64, u64)>,
}

impl ShardIndex {
    /// The inner chunk grid shape.
    pub fn chunks_per_shard(&self) -> &[u64] {
        &self.chunks_per_shard
    }
    /// Number of inner chunks (stored or not).
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    /// True when the grid has no inner chunks.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    /// The byte range, within the shard, of the inner chunk with C-order
    /// index `i`; `None` when it is not stored.
    pub fn get(&self, i: usize) -> Option<Range<u64>> {
        match self.entries.get(i) {
            Some(&(o, n)) if o != EMPTY_ENTRY => Some(o..o + n),
            _ => None,
        }
    }
    /// The byte range of the inner chunk at grid coordinates `coords`.
    pub fn get_coords(&self, coords: &[u64]) -> Option<Range<u64>> {
        self.get(ravel(coords, &self.chunks_per_shard))
    }
    /// True when no inner chunk is stored.
    pub fn is_all_empty(&self) -> bool {
        self.entries.iter().all(|&(o, _)| o == EMPTY_ENTRY)
    }
}

/// The `sharding_indexed` codec.
///
/// ```
/// use zarr::codec::{ArrayBytes, ArrayToBytesCodec, ChunkSpec, IndexLocation, ShardingCodec};
/// use zarr::dtype::{DataType, FillValue};
/// use zarr::metadata::CodecMetadata;
/// let spec = ChunkSpec { shape: vec![4, 4], data_type: DataType::UInt8, fill_value: FillValue::default_for(DataType::UInt8) };
/// let inner: Vec<CodecMetadata> = serde_json::from_str(r#"[{"name":"bytes"}]"#).unwrap();
/// let codec = ShardingCodec::new(vec![2, 2], &inner, &ShardingCodec::default_index_codecs(), IndexLocation::End, &spec).unwrap();
/// let mut data = vec![0u8; 16];
/// data[0] = 7; // only inner chunk (0, 0) differs from the fill value
/// let shard = codec.encode(ArrayBytes::Fixed(data.clone()), &spec).unwrap();
/// assert_eq!(shard.len(), 4 + 4 * 16 + 4); // one inner chunk, the index, its checksum
/// assert_eq!(codec.decode(&shard, &spec).unwrap(), ArrayBytes::Fixed(data));
/// ```
#[derive(Clone, Debug)]
pub struct ShardingCodec {
    chunk_shape: Vec<u64>,
    inner: CodecChain,
    index: CodecChain,
    index_location: IndexLocation,
    /// Store inner chunks that equal the fill value everywhere (a runtime
    /// setting, not metadata: zarr-python's `write_empty_chunks`).
    write_empty_chunks: bool,
}

thread_local! {
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// A raw output pointer that parallel tasks write disjoint regions through.
#[derive(Clone, Copy)]
struct SendPtr(*mut u8);
// SAFETY: every task writes only the region of its own inner chunk, and the
// buffer outlives the parallel loop.
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}
impl SendPtr {
    fn get(self) -> *mut u8 {
        self.0
    }
}

fn decode_error(message: impl Into<String>) -> CodecError {
    CodecError::Decode {
        codec: NAME.into(),
        message: message.into(),
    }
}

/// Grid coordinates of C-order index `i` in a grid of `shape`.
fn unravel(mut i: u64, shape: &[u64]) -> Vec<u64> {
    let mut c = vec![0; shape.len()];
    for d in (0..shape.len()).rev() {
        c[d] = i % shape[d];
        i /= shape[d];
    }
    c
}

/// C-order index of grid coordinates.
fn ravel(coords: &[u64], shape: &[u64]) -> usize {
    coords
        .iter()
        .zip(shape)
        .fold(0u64, |acc, (&c, &s)| acc * s + c) as usize
}

/// The C-order indices of a grid of `shape` in Morton (Z) order, exactly as
/// zarr-python orders them (bits interleaved from the lowest, axes with
/// fewer bits dropping out).
pub fn morton_order(shape: &[u64]) -> Vec<usize> {
    let n: u64 = shape.iter().product();
    let bits: Vec<u32> = shape
        .iter()
        .map(|&c| u64::BITS - c.saturating_sub(1).leading_zeros())
        .collect();
    let max_bits = bits.iter().copied().max().unwrap_or(0);
    let mut keyed: Vec<(u128, usize)> = (0..n)
        .map(|i| {
            let c = unravel(i, shape);
            let mut code: u128 = 0;
            let mut out_bit = 0u32;
            for coord_bit in 0..max_bits {
                for (d, &b) in bits.iter().enumerate() {
                    if coord_bit < b {
                        code |= u128::from((c[d] >> coord_bit) & 1) << out_bit;
                        out_bit += 1;
                    }
                }
            }
            (code, i as usize)
        })
        .collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, i)| i).collect()
}

impl ShardingCodec {
    /// A sharding codec for shards of `shard_spec`, with inner chunks of
    /// `chunk_shape` encoded by `codecs` and the index encoded by
    /// `index_codecs` (which must give a fixed encoded size).
    pub fn new(
        chunk_shape: Vec<u64>,
        codecs: &[CodecMetadata],
        index_codecs: &[CodecMetadata],
        index_location: IndexLocation,
        shard_spec: &ChunkSpec,
    ) -> Result<Self, CodecError> {
        if chunk_shape.contains(&0) {
            return Err(invalid(
                NAME,
                format!("\"chunk_shape\" {chunk_shape:?} has a zero-length dimension"),
            ));
        }
        let inner_spec = ChunkSpec {
            shape: chunk_shape.clone(),
            data_type: shard_spec.data_type,
            fill_value: shard_spec.fill_value.clone(),
        };
        let inner = CodecChain::from_metadata(codecs, &inner_spec)
            .map_err(|e| invalid(NAME, format!("inner \"codecs\": {e}")))?;
        let codec = ShardingCodec {
            chunk_shape,
            inner,
            // Replaced below once the grid is known.
            index: CodecChain::from_metadata(
                &[CodecMetadata::new(
                    "bytes",
                    Some(json_map(json!({"endian": "little"}))),
                )],
                &index_spec(&[1]),
            )?,
            index_location,
            write_empty_chunks: false,
        };
        let cps = codec.chunks_per_shard(shard_spec)?;
        let ispec = index_spec(&cps);
        let index = CodecChain::from_metadata(index_codecs, &ispec)
            .map_err(|e| invalid(NAME, format!("\"index_codecs\": {e}")))?;
        if index.encoded_size(&ispec).is_none() {
            return Err(invalid(
                NAME,
                "\"index_codecs\" must have a fixed encoded size (no compressors)",
            ));
        }
        Ok(ShardingCodec { index, ..codec })
    }

    /// Store inner chunks whose elements all equal the fill value, as
    /// zarr-python does with `config={"write_empty_chunks": True}` (default
    /// false: they are left out of the shard). Applies to nested sharding
    /// codecs too.
    pub fn with_write_empty_chunks(mut self, write: bool) -> Self {
        self.write_empty_chunks = write;
        self.inner = self.inner.with_write_empty_chunks(write);
        self
    }

    /// The default `index_codecs`: `bytes` little-endian, then `crc32c`.
    pub fn default_index_codecs() -> Vec<CodecMetadata> {
        vec![
            CodecMetadata::new("bytes", Some(json_map(json!({"endian": "little"})))),
            CodecMetadata::new("crc32c", None),
        ]
    }

    /// The inner chunk shape.
    pub fn chunk_shape(&self) -> &[u64] {
        &self.chunk_shape
    }
    /// The codec chain of the inner chunks.
    pub fn inner_codecs(&self) -> &CodecChain {
        &self.inner
    }
    /// The codec chain of the index.
    pub fn index_codecs(&self) -> &CodecChain {
        &self.index
    }
    /// Where the index lies.
    pub fn index_location(&self) -> IndexLocation {
        self.index_location
    }

    /// The inner chunk grid of a shard of `shard_spec`, checking that the
    /// shard shape has the inner chunks' dimensions and is divisible by them.
    pub fn chunks_per_shard(&self, shard_spec: &ChunkSpec) -> Result<Vec<u64>, CodecError> {
        let (shard, inner) = (&shard_spec.shape, &self.chunk_shape);
        if shard.len() != inner.len() {
            return Err(CodecError::Incompatible {
                codec: NAME.into(),
                message: format!(
                    "the inner chunk shape {inner:?} has {} dimensions but the shard shape {shard:?} has {}",
                    inner.len(),
                    shard.len()
                ),
            });
        }
        if let Some(d) = (0..shard.len()).find(|&d| shard[d] % inner[d] != 0) {
            return Err(CodecError::Incompatible {
                codec: NAME.into(),
                message: format!(
                    "the shard shape {shard:?} is not divisible by the inner chunk shape {inner:?} (dimension {d})"
                ),
            });
        }
        Ok(shard.iter().zip(inner).map(|(s, c)| s / c).collect())
    }

    /// The spec of one inner chunk of a shard of `shard_spec`.
    pub fn inner_spec(&self, shard_spec: &ChunkSpec) -> ChunkSpec {
        ChunkSpec {
            shape: self.chunk_shape.clone(),
            data_type: shard_spec.data_type,
            fill_value: shard_spec.fill_value.clone(),
        }
    }

    /// The encoded size of the index of a shard of `shard_spec`.
    pub fn index_size(&self, shard_spec: &ChunkSpec) -> Result<u64, CodecError> {
        let cps = self.chunks_per_shard(shard_spec)?;
        self.index
            .encoded_size(&index_spec(&cps))
            .ok_or_else(|| invalid(NAME, "\"index_codecs\" must have a fixed encoded size"))
    }

    /// Decode and validate an encoded index. Every stored entry must lie
    /// inside `data` (the byte range of the shard outside the index; use
    /// `0..u64::MAX` when the shard length is unknown), and no two entries
    /// may overlap.
    pub fn decode_index(
        &self,
        index_bytes: &[u8],
        shard_spec: &ChunkSpec,
        data: Range<u64>,
    ) -> Result<ShardIndex, CodecError> {
        let cps = self.chunks_per_shard(shard_spec)?;
        let ispec = index_spec(&cps);
        let raw = match self
            .index
            .decode(index_bytes, &ispec)
            .map_err(|e| decode_error(format!("shard index: {e}")))?
        {
            ArrayBytes::Fixed(v) => v,
            ArrayBytes::Variable(_) => return Err(decode_error("shard index is not fixed-size")),
        };
        let n = cps.iter().product::<u64>() as usize;
        if raw.len() != n * 16 {
            return Err(decode_error(format!(
                "shard index decoded to {} bytes, expected {}",
                raw.len(),
                n * 16
            )));
        }
        let word = |k: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&raw[k * 8..k * 8 + 8]);
            u64::from_ne_bytes(b)
        };
        let mut entries = Vec::with_capacity(n);
        let mut present: Vec<(u64, u64, usize)> = Vec::new();
        for i in 0..n {
            let (o, len) = (word(2 * i), word(2 * i + 1));
            if o == EMPTY_ENTRY && len == EMPTY_ENTRY {
                entries.push((o, len));
                continue;
            }
            // The inner chunk's coordinates only for an error message: no
            // allocation per entry on the (hot) valid path.
            let coords = || unravel(i as u64, &cps);
            let end = o.checked_add(len).ok_or_else(|| {
                decode_error(format!(
                    "shard index entry of inner chunk {:?} (offset {o}, nbytes {len}) overflows",
                    coords()
                ))
            })?;
            if o < data.start || end > data.end {
                return Err(decode_error(format!(
                    "shard index entry of inner chunk {:?} (offset {o}, nbytes {len}) lies outside the shard's data bytes {}..{}",
                    coords(),
                    data.start,
                    data.end
                )));
            }
            entries.push((o, len));
            present.push((o, end, i));
        }
        present.sort_unstable();
        for w in present.windows(2) {
            let ((_, a_end, a), (b_start, _, b)) = (w[0], w[1]);
            if b_start < a_end {
                return Err(decode_error(format!(
                    "shard index entries of inner chunks {:?} and {:?} overlap",
                    unravel(a as u64, &cps),
                    unravel(b as u64, &cps)
                )));
            }
        }
        Ok(ShardIndex {
            chunks_per_shard: cps,
            entries,
        })
    }

    /// The byte range of the index within a shard of `shard_len` bytes.
    pub fn index_range(
        &self,
        shard_spec: &ChunkSpec,
        shard_len: u64,
    ) -> Result<Range<u64>, CodecError> {
        let size = self.index_size(shard_spec)?;
        if shard_len < size {
            return Err(decode_error(format!(
                "truncated shard: {shard_len} bytes cannot hold its {size}-byte index"
            )));
        }
        Ok(match self.index_location {
            IndexLocation::Start => 0..size,
            IndexLocation::End => shard_len - size..shard_len,
        })
    }

    /// Read and validate the index of a whole encoded shard.
    pub fn shard_index(
        &self,
        shard: &[u8],
        shard_spec: &ChunkSpec,
    ) -> Result<ShardIndex, CodecError> {
        let len = shard.len() as u64;
        let r = self.index_range(shard_spec, len)?;
        let data = match self.index_location {
            IndexLocation::Start => r.end..len,
            IndexLocation::End => 0..r.start,
        };
        self.decode_index(&shard[r.start as usize..r.end as usize], shard_spec, data)
    }

    /// The region of inner chunk `coords` within the shard buffer.
    fn inner_dims(&self, coords: &[u64]) -> Vec<DimSlice> {
        coords
            .iter()
            .zip(&self.chunk_shape)
            .map(|(&c, &cs)| DimSlice {
                start: c * cs,
                step: 1,
                len: cs,
            })
            .collect()
    }

    fn inner_error(coords: &[u64], e: CodecError) -> CodecError {
        decode_error(format!("inner chunk {coords:?}: {e}"))
    }

    /// Lay encoded inner chunks (C order, `None` = not stored) out in Morton
    /// order and add the encoded index: the shard of a grid `cps` of inner
    /// chunks. The inner chunks' bytes are copied as they are (a partial
    /// write keeps the bytes of the inner chunks it does not touch).
    pub(crate) fn assemble<B: AsRef<[u8]>>(
        &self,
        encoded: Vec<Option<B>>,
        cps: &[u64],
        shard_spec: &ChunkSpec,
    ) -> Result<Vec<u8>, CodecError> {
        let index_size = self.index_size(shard_spec)? as usize;
        let data_len: usize = encoded.iter().flatten().map(|b| b.as_ref().len()).sum();
        let mut out = Vec::with_capacity(data_len + index_size);
        crate::buffer::pages::advise_huge_pages(&out);
        if self.index_location == IndexLocation::Start {
            out.resize(index_size, 0);
        }
        let mut entries = vec![EMPTY_ENTRY; encoded.len() * 2];
        for i in morton_order(cps) {
            if let Some(b) = &encoded[i] {
                let b = b.as_ref();
                entries[2 * i] = out.len() as u64;
                entries[2 * i + 1] = b.len() as u64;
                out.extend_from_slice(b);
            }
        }
        let raw: Vec<u8> = entries.iter().flat_map(|e| e.to_ne_bytes()).collect();
        let index = self
            .index
            .encode(ArrayBytes::Fixed(raw), &index_spec(cps))?;
        if index.len() != index_size {
            return Err(CodecError::Encode {
                codec: NAME.into(),
                message: format!(
                    "index encoded to {} bytes, expected {index_size}",
                    index.len()
                ),
            });
        }
        match self.index_location {
            IndexLocation::Start => out[..index_size].copy_from_slice(&index),
            IndexLocation::End => out.extend_from_slice(&index),
        }
        Ok(out)
    }

    /// Decode the stored inner chunks of a fixed-size shard into `out` (the
    /// whole shard, C order), filling the missing ones.
    fn decode_fixed_into(
        &self,
        shard: &[u8],
        index: &ShardIndex,
        spec: &ChunkSpec,
        out: &mut [u8],
    ) -> Result<(), CodecError> {
        let size = spec.data_type.size().unwrap_or(1);
        let inner_spec = self.inner_spec(spec);
        let inner_bytes = inner_spec.fixed_size().unwrap_or(0) as usize;
        let fill = spec.fill_value.as_bytes();
        let ptr = SendPtr(out.as_mut_ptr());
        let cps = index.chunks_per_shard();
        (0..index.len()).into_par_iter().try_for_each(|i| {
            let coords = unravel(i as u64, cps);
            let dims = self.inner_dims(&coords);
            let region = StridedRegion {
                shape: &spec.shape,
                dims: &dims,
            };
            let Some(r) = index.get(i) else {
                // SAFETY: the region lies inside `out` and belongs to this inner chunk alone.
                unsafe { fill_strided_raw(ptr.get(), &region, fill) };
                return Ok(());
            };
            let bytes = &shard[r.start as usize..r.end as usize];
            if let Some(offset) = contiguous_offset(&spec.shape, &dims) {
                // SAFETY: the contiguous run [offset, offset + n) elements lies inside
                // `out` and belongs to this inner chunk alone.
                let dst = unsafe {
                    std::slice::from_raw_parts_mut(ptr.get().add(offset * size), inner_bytes)
                };
                return self
                    .inner
                    .decode_into(bytes, &inner_spec, dst)
                    .map_err(|e| Self::inner_error(&coords, e));
            }
            // Taken out of its slot while in use (nested sharding runs nested
            // parallel loops on this thread).
            let mut scratch = SCRATCH.with(|s| std::mem::take(&mut *s.borrow_mut()));
            scratch.resize(inner_bytes, 0);
            let result = self
                .inner
                .decode_into(bytes, &inner_spec, &mut scratch)
                .map_err(|e| Self::inner_error(&coords, e));
            if result.is_ok() {
                let full: Vec<DimSlice> = DimSlice::whole_shape(&self.chunk_shape);
                let src = StridedRegion {
                    shape: &self.chunk_shape,
                    dims: &full,
                };
                // SAFETY: both regions lie inside their buffers; the destination
                // region belongs to this inner chunk alone.
                unsafe { copy_strided_raw(scratch.as_ptr(), &src, ptr.get(), &region, size) };
            }
            SCRATCH.with(|s| *s.borrow_mut() = scratch);
            result
        })
    }

    fn decode_variable(
        &self,
        shard: &[u8],
        index: &ShardIndex,
        spec: &ChunkSpec,
    ) -> Result<VarBytes, CodecError> {
        let inner_spec = self.inner_spec(spec);
        let n_inner = inner_spec.num_elements() as usize;
        let cps = index.chunks_per_shard();
        let decoded: Vec<Option<VarBytes>> = (0..index.len())
            .into_par_iter()
            .map(|i| {
                let Some(r) = index.get(i) else {
                    return Ok(None);
                };
                let coords = unravel(i as u64, cps);
                match self
                    .inner
                    .decode(&shard[r.start as usize..r.end as usize], &inner_spec)
                    .map_err(|e| Self::inner_error(&coords, e))?
                {
                    ArrayBytes::Variable(v) if v.len() == n_inner => Ok(Some(v)),
                    _ => Err(Self::inner_error(
                        &coords,
                        decode_error(format!("expected {n_inner} variable-length elements")),
                    )),
                }
            })
            .collect::<Result<_, CodecError>>()?;
        let fill = spec.fill_value.as_bytes();
        let mut elems: Vec<&[u8]> = vec![fill; spec.num_elements() as usize];
        let full: Vec<DimSlice> = DimSlice::whole_shape(&self.chunk_shape);
        for (i, v) in decoded.iter().enumerate() {
            let Some(v) = v else { continue };
            let dims = self.inner_dims(&unravel(i as u64, cps));
            for_each_element(
                &StridedRegion {
                    shape: &self.chunk_shape,
                    dims: &full,
                },
                &StridedRegion {
                    shape: &spec.shape,
                    dims: &dims,
                },
                |s, d| elems[d] = v.get(s),
            );
        }
        Ok(VarBytes::from_elements(elems))
    }
}

/// The spec of the index of a shard with inner grid `cps`: `cps + [2]`
/// `uint64` values, fill value `2^64 - 1`.
fn index_spec(cps: &[u64]) -> ChunkSpec {
    let mut shape = cps.to_vec();
    shape.push(2);
    ChunkSpec {
        shape,
        data_type: DataType::UInt64,
        fill_value: FillValue::new(EMPTY_ENTRY.to_ne_bytes().to_vec()),
    }
}

fn json_map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

impl CodecTraits for ShardingCodec {
    fn name(&self) -> &str {
        NAME
    }

    fn to_metadata(&self) -> CodecMetadata {
        let mut m = Map::new();
        m.insert("chunk_shape".into(), json!(self.chunk_shape));
        let codecs = |c: &CodecChain| {
            Value::Array(
                c.to_metadata()
                    .iter()
                    .map(|m| serde_json::to_value(m).unwrap_or(Value::Null))
                    .collect(),
            )
        };
        m.insert("codecs".into(), codecs(&self.inner));
        m.insert("index_codecs".into(), codecs(&self.index));
        m.insert(
            "index_location".into(),
            Value::String(self.index_location.as_str().into()),
        );
        CodecMetadata::new(NAME, Some(m))
    }
}

impl ArrayToBytesCodec for ShardingCodec {
    fn encode(&self, data: ArrayBytes, spec: &ChunkSpec) -> Result<Vec<u8>, CodecError> {
        let cps = self.chunks_per_shard(spec)?;
        let inner_spec = self.inner_spec(spec);
        let n: u64 = cps.iter().product();
        let fill = spec.fill_value.as_bytes();
        let full: Vec<DimSlice> = DimSlice::whole_shape(&self.chunk_shape);
        let inner_full = StridedRegion {
            shape: &self.chunk_shape,
            dims: &full,
        };
        let encode_error = |coords: &[u64], e: CodecError| CodecError::Encode {
            codec: NAME.into(),
            message: format!("inner chunk {coords:?}: {e}"),
        };
        let encoded: Vec<Option<Vec<u8>>> = match data {
            ArrayBytes::Fixed(bytes) => {
                let size = spec.data_type.size().unwrap_or(1);
                let expected = spec.fixed_size().unwrap_or(0);
                if bytes.len() as u64 != expected {
                    return Err(CodecError::SizeMismatch {
                        codec: NAME.into(),
                        expected,
                        actual: bytes.len() as u64,
                    });
                }
                let inner_bytes = inner_spec.fixed_size().unwrap_or(0) as usize;
                (0..n)
                    .into_par_iter()
                    .map(|i| {
                        let coords = unravel(i, &cps);
                        let dims = self.inner_dims(&coords);
                        let mut chunk = vec![0u8; inner_bytes];
                        crate::chunk::copy_strided(
                            &bytes,
                            &StridedRegion {
                                shape: &spec.shape,
                                dims: &dims,
                            },
                            &mut chunk,
                            &inner_full,
                            size,
                        );
                        if !self.write_empty_chunks && all_equal(&chunk, fill) {
                            return Ok(None);
                        }
                        self.inner
                            .encode(ArrayBytes::Fixed(chunk), &inner_spec)
                            .map(Some)
                            .map_err(|e| encode_error(&coords, e))
                    })
                    .collect::<Result<_, CodecError>>()?
            }
            ArrayBytes::Variable(v) => {
                if v.len() as u64 != spec.num_elements() {
                    return Err(CodecError::SizeMismatch {
                        codec: NAME.into(),
                        expected: spec.num_elements(),
                        actual: v.len() as u64,
                    });
                }
                let n_inner = inner_spec.num_elements() as usize;
                (0..n)
                    .into_par_iter()
                    .map(|i| {
                        let coords = unravel(i, &cps);
                        let dims = self.inner_dims(&coords);
                        let mut elems: Vec<&[u8]> = vec![&[]; n_inner];
                        for_each_element(
                            &StridedRegion {
                                shape: &spec.shape,
                                dims: &dims,
                            },
                            &inner_full,
                            |s, d| elems[d] = v.get(s),
                        );
                        if !self.write_empty_chunks && elems.iter().all(|e| *e == fill) {
                            return Ok(None);
                        }
                        self.inner
                            .encode(
                                ArrayBytes::Variable(VarBytes::from_elements(elems)),
                                &inner_spec,
                            )
                            .map(Some)
                            .map_err(|e| encode_error(&coords, e))
                    })
                    .collect::<Result<_, CodecError>>()?
            }
        };
        self.assemble(encoded, &cps, spec)
    }

    fn decode(&self, bytes: &[u8], spec: &ChunkSpec) -> Result<ArrayBytes, CodecError> {
        match spec.fixed_size() {
            Some(n) => {
                let n = usize::try_from(n).map_err(|_| CodecError::TooLarge {
                    codec: NAME.into(),
                    limit: usize::MAX as u64,
                })?;
                let mut out = vec![0u8; n];
                self.decode_into(bytes, spec, &mut out)?;
                Ok(ArrayBytes::Fixed(out))
            }
            None => {
                let index = self.shard_index(bytes, spec)?;
                Ok(ArrayBytes::Variable(
                    self.decode_variable(bytes, &index, spec)?,
                ))
            }
        }
    }

    fn decode_into(
        &self,
        bytes: &[u8],
        spec: &ChunkSpec,
        out: &mut [u8],
    ) -> Result<(), CodecError> {
        let expected = spec.fixed_size().ok_or_else(|| CodecError::Incompatible {
            codec: NAME.into(),
            message: format!(
                "cannot decode variable-length {} into a fixed-size buffer",
                spec.data_type
            ),
        })?;
        if out.len() as u64 != expected {
            return Err(CodecError::SizeMismatch {
                codec: NAME.into(),
                expected,
                actual: out.len() as u64,
            });
        }
        let index = self.shard_index(bytes, spec)?;
        self.decode_fixed_into(bytes, &index, spec, out)
    }

    fn encoded_size(&self, _spec: &ChunkSpec) -> Option<u64> {
        None
    }

    fn as_sharding(&self) -> Option<&ShardingCodec> {
        Some(self)
    }
}

impl From<ShardingCodec> for Codec {
    fn from(c: ShardingCodec) -> Codec {
        Codec::ArrayToBytes(Arc::new(c))
    }
}

/// Parse a list of codec entries from a configuration value.
fn codec_list(cfg: &Config<'_>, key: &str) -> Result<Option<Vec<CodecMetadata>>, CodecError> {
    match cfg.get(key) {
        None => Ok(None),
        Some(v @ Value::Array(_)) => serde_json::from_value(v.clone())
            .map(Some)
            .map_err(|e| cfg.error(key, format!("is not a list of codecs: {e}"))),
        Some(v) => Err(cfg.error(key, format!("must be a list of codecs, got {v}"))),
    }
}

/// Build a `sharding_indexed` codec for shards of `spec`.
pub(crate) fn create(metadata: &CodecMetadata, spec: &ChunkSpec) -> Result<Codec, CodecError> {
    let cfg = Config::new(
        metadata,
        NAME,
        &["chunk_shape", "codecs", "index_codecs", "index_location"],
        true,
    )?;
    let chunk_shape: Vec<u64> = match cfg.get("chunk_shape") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| v.as_u64().filter(|&n| n > 0))
            .collect::<Option<_>>()
            .ok_or_else(|| {
                cfg.error(
                    "chunk_shape",
                    format!(
                        "must be a list of positive integers, got {}",
                        Value::Array(a.clone())
                    ),
                )
            })?,
        Some(v) => {
            return Err(cfg.error(
                "chunk_shape",
                format!("must be a list of positive integers, got {v}"),
            ))
        }
        None => return Err(cfg.error("chunk_shape", "is required")),
    };
    let codecs = codec_list(&cfg, "codecs")?.unwrap_or_else(|| {
        vec![CodecMetadata::new(
            "bytes",
            Some(json_map(json!({"endian": "little"}))),
        )]
    });
    let index_codecs =
        codec_list(&cfg, "index_codecs")?.unwrap_or_else(ShardingCodec::default_index_codecs);
    let index_location = cfg
        .choice("index_location", &["start", "end"])?
        .and_then(IndexLocation::from_name)
        .unwrap_or_default();
    Ok(ShardingCodec::new(chunk_shape, &codecs, &index_codecs, index_location, spec)?.into())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::codec::tests::hex;
    use proptest::prelude::*;

    fn spec(dt: DataType, shape: &[u64]) -> ChunkSpec {
        ChunkSpec {
            shape: shape.to_vec(),
            data_type: dt,
            fill_value: FillValue::default_for(dt),
        }
    }

    fn metas(v: Value) -> Vec<CodecMetadata> {
        serde_json::from_value(v).unwrap()
    }

    fn codec(inner: &[u64], codecs: Value, loc: IndexLocation, s: &ChunkSpec) -> ShardingCodec {
        ShardingCodec::new(
            inner.to_vec(),
            &metas(codecs),
            &ShardingCodec::default_index_codecs(),
            loc,
            s,
        )
        .unwrap()
    }

    fn u16_bytes(v: &[u16]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_ne_bytes()).collect()
    }

    /// 4x4 uint16 `arange(16) + 1` with the inner chunk (0, 1) zeroed.
    fn sample() -> Vec<u8> {
        let mut d: Vec<u16> = (1..=16).collect();
        for r in 0..2 {
            for c in 2..4 {
                d[r * 4 + c] = 0;
            }
        }
        u16_bytes(&d)
    }

    #[test]
    fn byte_identical_to_zarr_python() {
        // Written by zarr-python 3.4.2: create_array(shape=(4, 4), chunks=(2, 2),
        // shards={"shape": (4, 4), "index_location": loc}, dtype="uint16", compressors=None).
        let s = spec(DataType::UInt16, &[4, 4]);
        let bytes = json!([{"name": "bytes", "configuration": {"endian": "little"}}]);
        let end = hex("010002000500060009000a000d000e000b000c000f00100000000000000000000800000000000000ffffffffffffffffffffffffffffffff0800000000000000080000000000000010000000000000000800000000000000002c1579");
        let start = hex("44000000000000000800000000000000ffffffffffffffffffffffffffffffff4c0000000000000008000000000000005400000000000000080000000000000070dbd5fb010002000500060009000a000d000e000b000c000f001000");
        for (loc, want) in [(IndexLocation::End, end), (IndexLocation::Start, start)] {
            let c = codec(&[2, 2], bytes.clone(), loc, &s);
            let got = c.encode(ArrayBytes::Fixed(sample()), &s).unwrap();
            assert_eq!(got, want, "{loc:?}");
            assert_eq!(c.decode(&want, &s).unwrap(), ArrayBytes::Fixed(sample()));
            let idx = c.shard_index(&want, &s).unwrap();
            assert_eq!(idx.get_coords(&[0, 1]), None);
            assert!(!idx.is_all_empty());
        }
    }

    #[test]
    fn metadata_round_trip() {
        let s = spec(DataType::UInt8, &[4]);
        let c = codec(
            &[2],
            json!([{"name": "bytes"}, {"name": "gzip", "configuration": {"level": 5}}]),
            IndexLocation::Start,
            &s,
        );
        let m = c.to_metadata();
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            json!({"name": "sharding_indexed", "configuration": {
                "chunk_shape": [2],
                "codecs": [{"name": "bytes"}, {"name": "gzip", "configuration": {"level": 5}}],
                "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}],
                "index_location": "start"}})
        );
        let again = create(&m, &s).unwrap();
        assert_eq!(again.to_metadata(), m);
        // Defaults: codecs [bytes], index_codecs [bytes, crc32c], end.
        let bare: CodecMetadata = serde_json::from_value(
            json!({"name": "sharding_indexed", "configuration": {"chunk_shape": [2]}}),
        )
        .unwrap();
        let d = create(&bare, &spec(DataType::UInt16, &[4]))
            .unwrap()
            .to_metadata();
        assert_eq!(d.get("index_location"), Some(&json!("end")));
        assert_eq!(
            d.get("codecs"),
            Some(&json!([{"name": "bytes", "configuration": {"endian": "little"}}]))
        );
    }

    #[test]
    fn invalid_configurations() {
        let s = spec(DataType::UInt16, &[4, 6]);
        let make = |v: Value| {
            let m: CodecMetadata =
                serde_json::from_value(json!({"name": "sharding_indexed", "configuration": v}))
                    .unwrap();
            create(&m, &s).map(|_| ()).unwrap_err().to_string()
        };
        assert!(make(json!({"chunk_shape": [2]})).contains("dimensions"));
        assert!(make(json!({"chunk_shape": [2, 4]})).contains("not divisible"));
        assert!(make(json!({"chunk_shape": [0, 3]})).contains("chunk_shape"));
        assert!(make(json!({})).contains("required"));
        assert!(
            make(json!({"chunk_shape": [2, 3], "index_location": "middle"}))
                .contains("index_location")
        );
        assert!(make(json!({"chunk_shape": [2, 3], "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "gzip", "configuration": {"level": 1}}]})).contains("fixed encoded size"));
        assert!(
            make(json!({"chunk_shape": [2, 3], "codecs": [{"name": "nope"}]})).contains("nope")
        );
        assert!(make(json!({"chunk_shape": [2, 3], "extra": 1})).contains("extra"));
    }

    #[test]
    fn all_fill_shard_is_index_only_and_reads_as_fill() {
        let s = ChunkSpec {
            fill_value: FillValue::new(7u16.to_ne_bytes().to_vec()),
            ..spec(DataType::UInt16, &[4, 4])
        };
        let c = codec(
            &[2, 2],
            json!([{"name": "bytes", "configuration": {"endian": "big"}}]),
            IndexLocation::End,
            &s,
        );
        let data = u16_bytes(&[7; 16]);
        let enc = c.encode(ArrayBytes::Fixed(data.clone()), &s).unwrap();
        assert_eq!(enc.len(), 4 * 16 + 4);
        assert!(c.shard_index(&enc, &s).unwrap().is_all_empty());
        assert_eq!(c.decode(&enc, &s).unwrap(), ArrayBytes::Fixed(data));
    }

    #[test]
    fn strings_and_nested_sharding() {
        let s = spec(DataType::String, &[4, 3]);
        let c = codec(
            &[2, 3],
            json!([{"name": "vlen-utf8"}, {"name": "zstd", "configuration": {"level": 1, "checksum": true}}]),
            IndexLocation::Start,
            &s,
        );
        let words: Vec<String> = (0..12)
            .map(|i| {
                if i < 6 {
                    String::new()
                } else {
                    format!("w{i}é")
                }
            })
            .collect();
        let v = VarBytes::from_elements(words.iter().map(|w| w.as_bytes()));
        let enc = c.encode(ArrayBytes::Variable(v.clone()), &s).unwrap();
        let idx = c.shard_index(&enc, &s).unwrap();
        assert_eq!(idx.get(0), None);
        assert!(idx.get(1).is_some());
        assert_eq!(c.decode(&enc, &s).unwrap(), ArrayBytes::Variable(v));

        let s = spec(DataType::Int32, &[8, 8]);
        let nested = json!([{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [2, 2],
            "codecs": [{"name": "transpose", "configuration": {"order": [1, 0]}}, {"name": "bytes", "configuration": {"endian": "big"}}, {"name": "gzip", "configuration": {"level": 1}}],
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "big"}}],
            "index_location": "start"}}]);
        let c = codec(&[4, 4], nested, IndexLocation::End, &s);
        let data: Vec<u8> = (0..64i32)
            .map(|i| if i % 9 == 0 { 0 } else { i * 1000 })
            .flat_map(|x| x.to_ne_bytes())
            .collect();
        let enc = c.encode(ArrayBytes::Fixed(data.clone()), &s).unwrap();
        assert_eq!(c.decode(&enc, &s).unwrap(), ArrayBytes::Fixed(data));
    }

    #[test]
    fn corrupt_shards_are_errors() {
        let s = spec(DataType::UInt16, &[4, 4]);
        let c = codec(
            &[2, 2],
            json!([{"name": "bytes", "configuration": {"endian": "little"}}]),
            IndexLocation::End,
            &s,
        );
        let good = c.encode(ArrayBytes::Fixed(sample()), &s).unwrap();
        let err = |b: &[u8]| c.decode(b, &s).unwrap_err().to_string();
        assert!(
            err(&good[..10]).contains("truncated"),
            "{}",
            err(&good[..10])
        );
        // One byte short at the end: the index (the last bytes) no longer checks.
        assert!(err(&good[..good.len() - 1]).contains("checksum"));
        // One byte short at the start: the index checks, but an entry now
        // points past the data.
        assert!(err(&good[1..]).contains("outside"));
        let mut flipped = good.clone();
        flipped[0] ^= 1; // data byte: not covered by the index checksum
        assert!(c.decode(&flipped, &s).is_ok());
        let n = good.len();
        flipped[n - 10] ^= 1; // index byte
        assert!(err(&flipped).contains("checksum"));

        // Hand-made indexes (no crc32c) with bad entries.
        let c = ShardingCodec::new(
            vec![2, 2],
            &metas(json!([{"name": "bytes", "configuration": {"endian": "little"}}])),
            &metas(json!([{"name": "bytes", "configuration": {"endian": "little"}}])),
            IndexLocation::End,
            &s,
        )
        .unwrap();
        let shard = |entries: [(u64, u64); 4]| {
            let mut b = vec![0u8; 24];
            for (o, n) in entries {
                b.extend_from_slice(&o.to_le_bytes());
                b.extend_from_slice(&n.to_le_bytes());
            }
            b
        };
        let e = EMPTY_ENTRY;
        assert!(c
            .decode(&shard([(0, 8), (8, 8), (16, 8), (e, e)]), &s)
            .is_ok());
        let err = |b: Vec<u8>| c.decode(&b, &s).unwrap_err().to_string();
        assert!(err(shard([(0, 8), (8, 8), (20, 8), (e, e)])).contains("outside"));
        assert!(err(shard([(0, 8), (4, 8), (16, 8), (e, e)])).contains("overlap"));
        assert!(err(shard([(0, 8), (u64::MAX - 2, 8), (16, 8), (e, e)])).contains("overflow"));
        assert!(err(shard([(0, 8), (e, 8), (16, 8), (e, e)])).contains("overflow"));
        assert!(err(shard([(0, 8), (8, 7), (16, 8), (e, e)])).contains("inner chunk [0, 1]"));
    }

    #[test]
    fn morton_order_matches_zarr_python() {
        // zarr.core.indexing.morton_order_coords((2, 3)) and ((3, 2, 2)).
        assert_eq!(morton_order(&[2, 3]), vec![0, 3, 1, 4, 2, 5]);
        let c: Vec<Vec<u64>> = morton_order(&[3, 2, 2])
            .iter()
            .map(|&i| unravel(i as u64, &[3, 2, 2]))
            .collect();
        assert_eq!(
            &c[..4],
            &[vec![0, 0, 0], vec![1, 0, 0], vec![0, 1, 0], vec![1, 1, 0]]
        );
        assert_eq!(morton_order(&[1]), vec![0]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn round_trip(
            grid in prop::collection::vec((1u64..=3, 1u64..=3), 1..=3),
            start in any::<bool>(),
            crc in any::<bool>(),
            compress in any::<bool>(),
            seed in any::<u64>(),
        ) {
            let inner: Vec<u64> = grid.iter().map(|g| g.0).collect();
            let shape: Vec<u64> = grid.iter().map(|g| g.0 * g.1).collect();
            let s = spec(DataType::Int16, &shape);
            let mut codecs = vec![json!({"name": "bytes", "configuration": {"endian": "big"}})];
            if compress {
                codecs.push(json!({"name": "zstd", "configuration": {"level": 1, "checksum": false}}));
            }
            let mut index_codecs = vec![json!({"name": "bytes", "configuration": {"endian": "little"}})];
            if crc {
                index_codecs.push(json!({"name": "crc32c"}));
            }
            let loc = if start { IndexLocation::Start } else { IndexLocation::End };
            let c = ShardingCodec::new(inner, &metas(json!(codecs)), &metas(json!(index_codecs)), loc, &s).unwrap();
            let n = s.num_elements();
            // Sparse data: about half the elements zero, so some inner chunks are empty.
            let data: Vec<u8> = (0..n)
                .map(|i| {
                    let h = (i ^ seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
                    if h % 2 == 0 { 0i16 } else { h as i16 }
                })
                .flat_map(|x| x.to_ne_bytes())
                .collect();
            let enc = c.encode(ArrayBytes::Fixed(data.clone()), &s).unwrap();
            prop_assert_eq!(c.decode(&enc, &s).unwrap(), ArrayBytes::Fixed(data.clone()));
            // Truncations never panic.
            for cut in [0, 1, enc.len() / 2, enc.len().saturating_sub(1)] {
                let _ = c.decode(&enc[..cut], &s);
            }
        }
    }
}
