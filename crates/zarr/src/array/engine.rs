//! The array engine: everything between a selection and the codecs that does
//! no I/O. Planning (which chunks, which parts), decoding a fetched chunk
//! straight into the output, and building and encoding a chunk to store.
//! The blocking and async front ends fetch and store; this module does the rest.

use super::error::{ArrayError, Result};
use crate::chunk::{
    all_equal, contiguous_offset, copy_strided_raw, fill_strided_raw, ChunkKeyEncoding,
    ChunkProjection, DimSlice, ResolvedSelection, StridedRegion,
};
use crate::codec::{
    ArrayBytes, ArrayToArrayCodec, AxisMap, ChunkSpec, CodecChain, IndexLocation, ShardIndex,
    ShardingCodec, VarBytes,
};
use crate::dtype::FillValue;
use crate::metadata::ArrayMetadata;
use crate::store::ByteRequest;
use rayon::prelude::*;
use std::cell::RefCell;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

/// A raw output buffer that many threads write disjoint regions of.
#[derive(Clone, Copy)]
pub(crate) struct OutPtr {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the engine only writes disjoint regions (one per chunk projection)
// of the buffer from different threads, and the buffer outlives every write.
unsafe impl Send for OutPtr {}
unsafe impl Sync for OutPtr {}

impl OutPtr {
    pub(crate) fn new(out: &mut [u8]) -> Self {
        OutPtr {
            ptr: out.as_mut_ptr(),
            len: out.len(),
        }
    }

    /// Copy `src` to byte offset `at` of the output.
    ///
    /// # Safety
    /// `at + src.len()` must lie inside the output, and no other thread may
    /// write those bytes concurrently.
    pub(crate) unsafe fn write_at(self, at: usize, src: &[u8]) {
        debug_assert!(at + src.len() <= self.len);
        // SAFETY: in bounds and owned by the caller (the contract above).
        unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), self.ptr.add(at), src.len()) }
    }
}

/// The C-order offset in a chunk of `chunk_shape` of the element at C-order
/// offset `b` of the box `bbox` inside it.
pub(crate) fn box_to_chunk(b: u64, bbox: &[DimSlice], chunk_shape: &[u64]) -> usize {
    let mut rest = b;
    let mut coords = vec![0u64; bbox.len()];
    for d in (0..bbox.len()).rev() {
        let len = bbox[d].len.max(1);
        coords[d] = bbox[d].start + rest % len;
        rest /= len;
    }
    coords
        .iter()
        .zip(chunk_shape)
        .fold(0u64, |acc, (&c, &s)| acc * s + c) as usize
}

/// What to do with a chunk after a write.
pub(crate) enum ChunkWrite {
    /// Store these encoded bytes.
    Set(Vec<u8>),
    /// Every element equals the fill value: delete the chunk.
    Delete,
}

thread_local! {
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// The I/O-free part of an array: metadata-derived layout and codecs.
#[derive(Debug, Clone)]
pub(crate) struct Engine {
    pub(crate) shape: Vec<u64>,
    pub(crate) chunk_shape: Vec<u64>,
    pub(crate) spec: ChunkSpec,
    pub(crate) chain: Arc<CodecChain>,
    keys: ChunkKeyEncoding,
    prefix: String,
    pub(crate) write_empty_chunks: bool,
    /// Set when the codecs are exactly one `sharding_indexed` codec: reads
    /// of part of a shard then fetch its index and only the inner chunks
    /// they need.
    pub(crate) sharded: Option<Arc<Sharded>>,
}

/// What partial shard reads need.
#[derive(Debug)]
pub(crate) struct Sharded {
    /// The sharding codec.
    pub(crate) codec: ShardingCodec,
    /// An engine over one shard whose chunks are the inner chunks, in the
    /// array's axis order (see [`Engine::with_sharding`]).
    pub(crate) inner: Engine,
    /// The encoded index size.
    pub(crate) index_size: u64,
    /// The spec of a shard as the sharding codec sees it (after the
    /// array-to-array codecs).
    encoded_spec: ChunkSpec,
    /// Inner chunks per shard, in the encoded axis order (the index's).
    chunks_per_shard: Vec<u64>,
    /// When array-to-array codecs permute the axes: `perm[i]` is the array
    /// axis that the index's axis `i` is.
    perm: Option<Vec<usize>>,
    /// Whether writes of part of a shard encode only the inner chunks they
    /// touch (behind permutations only; elementwise codecs may be lossy, so
    /// those shards are written whole, exactly as the chain encodes them).
    partial_writes: bool,
}

impl Engine {
    pub(crate) fn new(
        metadata: &ArrayMetadata,
        path: &str,
        chain: Arc<CodecChain>,
        write_empty_chunks: bool,
    ) -> Self {
        let chunk_shape = metadata.chunk_shape().to_vec();
        Engine {
            shape: metadata.shape.clone(),
            spec: ChunkSpec {
                shape: chunk_shape.clone(),
                data_type: metadata.data_type,
                fill_value: metadata.fill_value.clone(),
            },
            chunk_shape,
            chain,
            keys: ChunkKeyEncoding::new(&metadata.chunk_key_encoding),
            prefix: crate::node_path::prefix(path),
            write_empty_chunks,
            sharded: None,
        }
        .with_sharding()
    }

    /// The element count of a read of `r`, checked to fit in memory: the
    /// output of `r.num_elements()` elements (of the data type's size, or
    /// one `Vec` each for variable-length types) must be addressable.
    /// Allocate it with [`Engine::alloc_fixed`] / [`Engine::alloc_var`].
    pub(crate) fn output_len(
        &self,
        path: &str,
        r: &ResolvedSelection,
    ) -> Result<usize, ArrayError> {
        self.elements_len(path, r.num_elements())
    }

    /// `n` as the length of an output of `n` elements, as
    /// [`Engine::output_len`] checks it.
    pub(crate) fn elements_len(&self, path: &str, n: u64) -> Result<usize, ArrayError> {
        let each = self
            .spec
            .data_type
            .size()
            .unwrap_or(std::mem::size_of::<Vec<u8>>());
        match crate::limits::byte_len(n, each) {
            Some(_) => Ok(n as usize),
            None => Err(self.out_of_memory(path, n)),
        }
    }

    fn out_of_memory(&self, path: &str, n: u64) -> ArrayError {
        ArrayError::TooLarge {
            path: path.to_string(),
            message: format!(
                "a read of {n} elements of {} does not fit in memory",
                self.spec.data_type
            ),
        }
    }

    /// A zeroed output of `n` bytes for a read, or [`ArrayError::TooLarge`]
    /// when it cannot be allocated.
    pub(crate) fn alloc_bytes(&self, path: &str, n: usize) -> Result<Vec<u8>, ArrayError> {
        crate::buffer::pages::try_zeroed(n).ok_or_else(|| self.out_of_memory(path, n as u64))
    }

    /// A zeroed output of `n` elements of a fixed-size type `T` for a read.
    ///
    /// # Safety
    /// `T` must match the array's fixed-size data type (one of the plain
    /// number types, for which all-zero bits are a valid value).
    pub(crate) unsafe fn alloc_fixed<T>(&self, path: &str, n: usize) -> Result<Vec<T>, ArrayError> {
        // SAFETY: per the caller, all-zero bits are a valid T.
        unsafe { crate::buffer::pages::try_zeroed_elements::<T>(n) }
            .ok_or_else(|| self.out_of_memory(path, n as u64))
    }

    /// An output of `n` empty variable-length elements for a read.
    pub(crate) fn alloc_var(&self, path: &str, n: usize) -> Result<Vec<Vec<u8>>, ArrayError> {
        let mut v = Vec::new();
        v.try_reserve_exact(n)
            .map_err(|_| self.out_of_memory(path, n as u64))?;
        v.resize_with(n, Vec::new);
        Ok(v)
    }

    /// Fill in [`Engine::sharded`] when the chain's array-to-bytes codec is
    /// `sharding_indexed` with no bytes-to-bytes codec after it, and every
    /// array-to-array codec before it is a permutation or elementwise
    /// ([`AxisMap`]): parts of shards are then read (and, behind
    /// permutations only, written) inner chunk by inner chunk.
    ///
    /// The inner engine works in the array's (decoded) axis order: its
    /// chunks are the inner chunks with their shape permuted back, and its
    /// chain is the array-to-array codecs followed by the inner codecs, so
    /// decoding one inner chunk through it gives exactly that box of the
    /// decoded shard. [`Sharded::perm`] maps its chunk coordinates to the
    /// index's.
    fn with_sharding(mut self) -> Self {
        let chain = &self.chain;
        if !chain.bytes_to_bytes().is_empty() {
            return self;
        }
        let Some(codec) = chain.array_to_bytes().as_sharding() else {
            return self;
        };
        let a2a = chain.array_to_array();
        let rank = self.chunk_shape.len();
        // perm[i]: the decoded axis that encoded axis i is.
        let mut perm: Vec<usize> = (0..rank).collect();
        let mut permutes_only = true;
        for c in a2a {
            match c.axis_map() {
                AxisMap::Permute(order) if is_permutation(&order, rank) => {
                    perm = order.iter().map(|&o| perm[o]).collect();
                }
                AxisMap::Elementwise => permutes_only = false,
                _ => return self,
            }
        }
        let Ok(encoded_spec) = chain.resolve(&self.spec) else {
            return self;
        };
        let inner_encoded = codec.chunk_shape();
        if encoded_spec.shape.len() != rank
            || inner_encoded.len() != rank
            || (0..rank).any(|i| encoded_spec.shape[i] != self.chunk_shape[perm[i]])
        {
            return self;
        }
        let Ok(index_size) = codec.index_size(&encoded_spec) else {
            return self;
        };
        let Ok(chunks_per_shard) = codec.chunks_per_shard(&encoded_spec) else {
            return self;
        };
        if !permutes_only && !fill_round_trips(a2a, &self.spec) {
            // A missing inner chunk reads as the encoded fill value decoded;
            // only when that is the fill value can the inner engine fill it.
            return self;
        }
        let mut inner_shape = vec![0; rank];
        for (i, &p) in perm.iter().enumerate() {
            inner_shape[p] = inner_encoded[i];
        }
        let inner_chain = if a2a.is_empty() {
            codec.inner_codecs().clone()
        } else {
            codec.inner_codecs().behind(a2a)
        };
        let inner = Engine {
            shape: self.chunk_shape.clone(),
            spec: ChunkSpec {
                shape: inner_shape.clone(),
                data_type: self.spec.data_type,
                fill_value: self.spec.fill_value.clone(),
            },
            chunk_shape: inner_shape,
            chain: Arc::new(inner_chain),
            keys: self.keys.clone(),
            prefix: self.prefix.clone(),
            write_empty_chunks: self.write_empty_chunks,
            sharded: None,
        };
        let identity = perm.iter().enumerate().all(|(i, &p)| i == p);
        self.sharded = Some(Arc::new(Sharded {
            codec: codec.clone(),
            inner,
            index_size,
            encoded_spec,
            chunks_per_shard,
            perm: (!identity).then_some(perm),
            partial_writes: permutes_only,
        }));
        self
    }

    pub(crate) fn fill(&self) -> &FillValue {
        &self.spec.fill_value
    }

    /// The store key of a chunk.
    pub(crate) fn chunk_key(&self, coords: &[u64]) -> String {
        format!("{}{}", self.prefix, self.keys.encode(coords))
    }

    /// The part of a chunk inside the array.
    fn in_bounds(&self, coords: &[u64]) -> Vec<u64> {
        coords
            .iter()
            .zip(&self.chunk_shape)
            .zip(&self.shape)
            .map(|((&c, &cs), &s)| cs.min(s.saturating_sub(c * cs)))
            .collect()
    }

    /// True when the projection covers every in-bounds element of its chunk.
    pub(crate) fn is_complete(&self, p: &ChunkProjection) -> bool {
        let inb = self.in_bounds(&p.chunk_coords);
        p.in_chunk
            .iter()
            .zip(&inb)
            .all(|(d, &n)| d.start == 0 && (d.step == 1 || d.len == 1) && d.len == n)
    }

    fn codec_err(key: &str) -> impl Fn(crate::codec::CodecError) -> ArrayError + '_ {
        move |source| ArrayError::Codec {
            key: key.to_string(),
            source,
        }
    }

    /// Decode a fetched fixed-size chunk (or the fill value when missing)
    /// into the output region of projection `p`. `out_shape` is the
    /// selection shape (dropped axes included, length 1).
    pub(crate) fn decode_fixed_into(
        &self,
        p: &ChunkProjection,
        key: &str,
        encoded: Option<&[u8]>,
        out: OutPtr,
        out_shape: &[u64],
    ) -> Result<()> {
        let size = self.spec.data_type.size().unwrap_or(1);
        let out_dims: Vec<DimSlice> = p
            .out_start
            .iter()
            .zip(&p.in_chunk)
            .map(|(&o, d)| DimSlice {
                start: o,
                step: 1,
                len: d.len,
            })
            .collect();
        let dst_region = StridedRegion {
            shape: out_shape,
            dims: &out_dims,
        };
        debug_assert!(out_shape.iter().product::<u64>() as usize * size <= out.len);
        let Some(encoded) = encoded else {
            // SAFETY: the region lies inside `out` and belongs to this projection alone.
            unsafe { fill_strided_raw(out.ptr, &dst_region, self.fill().as_bytes()) };
            return Ok(());
        };
        // Straight into the output when the chunk is exactly a contiguous run of it.
        let whole_chunk = p
            .in_chunk
            .iter()
            .zip(&self.chunk_shape)
            .all(|(d, &cs)| d.start == 0 && d.len == cs && (d.step == 1 || cs == 1));
        if whole_chunk {
            if let Some(offset) = contiguous_offset(out_shape, &out_dims) {
                let n = self.spec.fixed_size().unwrap_or(0) as usize;
                // SAFETY: the contiguous region [offset, offset + n) elements lies inside
                // `out` and belongs to this projection alone.
                let dst = unsafe { std::slice::from_raw_parts_mut(out.ptr.add(offset * size), n) };
                return self
                    .chain
                    .decode_into(encoded, &self.spec, dst)
                    .map_err(Self::codec_err(key));
            }
        }
        // The scratch buffer is taken out of its slot while in use: decoding may
        // run nested rayon work (sharding), and a job stolen by this thread
        // then finds the slot empty instead of a borrowed `RefCell`.
        let mut scratch = SCRATCH.with(|s| std::mem::take(&mut *s.borrow_mut()));
        let n = self.spec.fixed_size().unwrap_or(0) as usize;
        scratch.resize(n, 0);
        let result = self
            .chain
            .decode_into(encoded, &self.spec, &mut scratch)
            .map_err(Self::codec_err(key));
        if result.is_ok() {
            let src_region = StridedRegion {
                shape: &self.chunk_shape,
                dims: &p.in_chunk,
            };
            // SAFETY: both regions lie inside their buffers (planned by the selection),
            // and the destination region belongs to this projection alone.
            unsafe { copy_strided_raw(scratch.as_ptr(), &src_region, out.ptr, &dst_region, size) };
        }
        SCRATCH.with(|s| *s.borrow_mut() = scratch);
        result
    }

    /// Decode a fetched variable-length chunk; `None` when missing.
    pub(crate) fn decode_var(&self, key: &str, encoded: Option<&[u8]>) -> Result<Option<VarBytes>> {
        let Some(encoded) = encoded else {
            return Ok(None);
        };
        match self
            .chain
            .decode(encoded, &self.spec)
            .map_err(Self::codec_err(key))?
        {
            ArrayBytes::Variable(v) => Ok(Some(v)),
            _ => Err(ArrayError::Codec {
                key: key.to_string(),
                source: crate::codec::CodecError::Decode {
                    codec: "pipeline".into(),
                    message: "expected variable-length data".into(),
                },
            }),
        }
    }

    /// Build and encode the chunk of projection `p` from the selection data
    /// `data` (C order, `data_shape`), merging with the existing chunk when
    /// the projection does not cover it.
    pub(crate) fn encode_fixed(
        &self,
        p: &ChunkProjection,
        key: &str,
        existing: Option<&[u8]>,
        data: &[u8],
        data_shape: &[u64],
    ) -> Result<ChunkWrite> {
        if let Some(sh) = self.sharded.as_ref().filter(|sh| sh.partial_writes) {
            let existing = if self.is_complete(p) { None } else { existing };
            return sh.encode_shard(p, key, existing, data, data_shape);
        }
        let size = self.spec.data_type.size().unwrap_or(1);
        let n = self.spec.fixed_size().unwrap_or(0) as usize;
        let mut chunk = match existing {
            Some(enc) if !self.is_complete(p) => {
                let mut buf = vec![0u8; n];
                self.chain
                    .decode_into(enc, &self.spec, &mut buf)
                    .map_err(Self::codec_err(key))?;
                buf
            }
            _ => self
                .fill()
                .as_bytes()
                .repeat(self.spec.num_elements() as usize),
        };
        let src_dims: Vec<DimSlice> = p
            .out_start
            .iter()
            .zip(&p.in_chunk)
            .map(|(&o, d)| DimSlice {
                start: o,
                step: 1,
                len: d.len,
            })
            .collect();
        crate::chunk::copy_strided(
            data,
            &StridedRegion {
                shape: data_shape,
                dims: &src_dims,
            },
            &mut chunk,
            &StridedRegion {
                shape: &self.chunk_shape,
                dims: &p.in_chunk,
            },
            size,
        );
        self.finish_fixed(key, chunk)
    }

    /// Encode a complete fixed-size chunk, or ask for its deletion when it
    /// equals the fill value everywhere.
    pub(crate) fn finish_fixed(&self, key: &str, chunk: Vec<u8>) -> Result<ChunkWrite> {
        if !self.write_empty_chunks && all_equal(&chunk, self.fill().as_bytes()) {
            return Ok(ChunkWrite::Delete);
        }
        let enc = self
            .chain
            .encode(ArrayBytes::Fixed(chunk), &self.spec)
            .map_err(Self::codec_err(key))?;
        Ok(ChunkWrite::Set(enc))
    }

    /// [`Engine::encode_fixed`] for variable-length elements: `data` holds
    /// the selection's elements in C order.
    pub(crate) fn encode_var(
        &self,
        p: &ChunkProjection,
        key: &str,
        existing: Option<&[u8]>,
        data: &[Vec<u8>],
        data_shape: &[u64],
    ) -> Result<ChunkWrite> {
        let n = self.spec.num_elements() as usize;
        let base = match existing {
            Some(enc) if !self.is_complete(p) => self.decode_var(key, Some(enc))?,
            _ => None,
        };
        let fill = self.fill().as_bytes();
        let mut elems: Vec<&[u8]> = match &base {
            Some(v) => (0..v.len()).map(|i| v.get(i)).collect(),
            None => vec![fill; n],
        };
        let src_dims: Vec<DimSlice> = p
            .out_start
            .iter()
            .zip(&p.in_chunk)
            .map(|(&o, d)| DimSlice {
                start: o,
                step: 1,
                len: d.len,
            })
            .collect();
        crate::chunk::for_each_element(
            &StridedRegion {
                shape: data_shape,
                dims: &src_dims,
            },
            &StridedRegion {
                shape: &self.chunk_shape,
                dims: &p.in_chunk,
            },
            |s, d| elems[d] = &data[s],
        );
        if !self.write_empty_chunks && elems.iter().all(|e| *e == fill) {
            return Ok(ChunkWrite::Delete);
        }
        let packed = VarBytes::from_elements(elems);
        let enc = self
            .chain
            .encode(ArrayBytes::Variable(packed), &self.spec)
            .map_err(Self::codec_err(key))?;
        Ok(ChunkWrite::Set(enc))
    }

    /// Scatter a decoded variable-length chunk (or the fill value) into the output.
    pub(crate) fn scatter_var(
        &self,
        p: &ChunkProjection,
        chunk: Option<&VarBytes>,
        out: &mut [Vec<u8>],
        out_shape: &[u64],
    ) {
        let out_dims: Vec<DimSlice> = p
            .out_start
            .iter()
            .zip(&p.in_chunk)
            .map(|(&o, d)| DimSlice {
                start: o,
                step: 1,
                len: d.len,
            })
            .collect();
        let fill = self.fill().as_bytes();
        crate::chunk::for_each_element(
            &StridedRegion {
                shape: &self.chunk_shape,
                dims: &p.in_chunk,
            },
            &StridedRegion {
                shape: out_shape,
                dims: &out_dims,
            },
            |s, d| {
                out[d] = match chunk {
                    Some(c) => c.get(s).to_vec(),
                    None => fill.to_vec(),
                }
            },
        );
    }
}

/// Whether `order` holds each of `0..rank` once.
fn is_permutation(order: &[usize], rank: usize) -> bool {
    let mut seen = vec![false; rank];
    order.len() == rank
        && order
            .iter()
            .all(|&o| o < rank && !std::mem::replace(&mut seen[o], true))
}

/// Whether the fill value of `spec`, encoded by the array-to-array codecs
/// `a2a` and decoded again, is itself (one element is enough: the codecs
/// are elementwise or permutations).
fn fill_round_trips(a2a: &[Arc<dyn ArrayToArrayCodec>], spec: &ChunkSpec) -> bool {
    let one = ChunkSpec {
        shape: vec![1; spec.shape.len()],
        data_type: spec.data_type,
        fill_value: spec.fill_value.clone(),
    };
    let mut stages = vec![one];
    for c in a2a {
        let Some(Ok(next)) = stages.last().map(|s| c.encoded_spec(s)) else {
            return false;
        };
        stages.push(next);
    }
    // What a missing inner chunk holds: the encoded stage's fill value.
    let Some(last) = stages.last() else {
        return false;
    };
    let mut data = ArrayBytes::Fixed(last.fill_value.as_bytes().to_vec());
    for (c, stage) in a2a.iter().zip(&stages).rev() {
        match c.decode(data, stage) {
            Ok(d) => data = d,
            Err(_) => return false,
        }
    }
    data == ArrayBytes::Fixed(spec.fill_value.as_bytes().to_vec())
}

/// C-order index of grid coordinates `coords` in a grid of `shape`.
fn ravel(coords: &[u64], shape: &[u64]) -> usize {
    coords
        .iter()
        .zip(shape)
        .fold(0u64, |acc, (&c, &s)| acc * s + c) as usize
}

/// Number of lock stripes for [`lock_key`].
const KEY_LOCK_STRIPES: usize = 64;

/// The lock stripe of `key`: one table shared by [`Array`](super::Array)
/// and [`AsyncArray`](super::AsyncArray) writers, so that blocking and async
/// writers of one key in this process are serialized with each other.
fn key_stripe(key: &str) -> &'static futures::lock::Mutex<()> {
    use std::hash::{Hash, Hasher};
    static LOCKS: OnceLock<Vec<futures::lock::Mutex<()>>> = OnceLock::new();
    let locks = LOCKS.get_or_init(|| {
        (0..KEY_LOCK_STRIPES)
            .map(|_| futures::lock::Mutex::new(()))
            .collect()
    });
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    &locks[(h.finish() as usize) % KEY_LOCK_STRIPES]
}

/// Lock the stripe of `key` from blocking code: writers of one chunk or
/// shard key in this process hold it while they check that the stored value
/// is still the one they merged with and store theirs. Nothing that can run
/// other rayon jobs happens under the lock (no encoding), so holding it
/// cannot deadlock. The lock is an async mutex (shared with
/// [`lock_key_async`]); blocking code waits for it with a short backoff.
pub(crate) fn lock_key(key: &str) -> futures::lock::MutexGuard<'static, ()> {
    let stripe = key_stripe(key);
    let mut wait = std::time::Duration::from_micros(1);
    loop {
        if let Some(guard) = stripe.try_lock() {
            return guard;
        }
        std::thread::sleep(wait);
        wait = (wait * 2).min(std::time::Duration::from_micros(200));
    }
}

/// Lock the stripe of `key` from async code (see [`lock_key`]).
pub(crate) async fn lock_key_async(key: &str) -> futures::lock::MutexGuard<'static, ()> {
    key_stripe(key).lock().await
}

/// Reading part (or all) of one shard, planned from its decoded index: the
/// inner chunks the projection touches, the byte ranges of the stored ones,
/// and those ranges merged into requests. I/O-free, shared by the blocking
/// and async front ends: they fetch the index ([`Sharded::index_request`]),
/// call [`Sharded::plan`], fetch [`ShardReadPlan::requests`] (or the whole
/// shard), then call [`Sharded::decode_planned`].
pub(crate) struct ShardReadPlan {
    /// The inner chunk projections, offset into the output.
    inner: Vec<ChunkProjection>,
    /// Byte range of each stored inner chunk within the shard.
    ranges: Vec<Option<Range<u64>>>,
    /// The merged byte ranges to fetch.
    groups: Vec<Range<u64>>,
    /// The group of each inner chunk (`usize::MAX`: not stored).
    group_of: Vec<usize>,
    /// Inner chunks per shard (for error messages).
    chunks_per_shard: Vec<u64>,
}

impl ShardReadPlan {
    /// One range request per merged group.
    pub(crate) fn requests(&self, key: &str) -> Vec<(String, Option<ByteRequest>)> {
        self.groups
            .iter()
            .map(|g| {
                (
                    key.to_string(),
                    Some(ByteRequest::Range {
                        start: g.start,
                        end: g.end,
                    }),
                )
            })
            .collect()
    }

    /// Replace the groups by one covering the whole shard of `len` bytes
    /// (when the whole shard was fetched in one request).
    pub(crate) fn whole(mut self, len: u64) -> Self {
        self.groups = std::iter::once(0..len).collect();
        for (g, r) in self.group_of.iter_mut().zip(&self.ranges) {
            *g = if r.is_some() { 0 } else { usize::MAX };
        }
        self
    }
}

impl Sharded {
    /// The index coordinates of the inner chunk at `coords` (the inner
    /// engine's, in the array's axis order).
    fn encoded_coords<'a>(&self, coords: &'a [u64]) -> std::borrow::Cow<'a, [u64]> {
        match &self.perm {
            None => std::borrow::Cow::Borrowed(coords),
            Some(perm) => perm.iter().map(|&p| coords[p]).collect(),
        }
    }

    fn codec_err(key: &str) -> impl Fn(crate::codec::CodecError) -> ArrayError + '_ {
        move |source| ArrayError::Codec {
            key: key.to_string(),
            source,
        }
    }

    fn corrupt(key: &str, message: String) -> ArrayError {
        Self::codec_err(key)(crate::codec::CodecError::Decode {
            codec: "sharding_indexed".into(),
            message,
        })
    }

    /// Build the shard of a write that covers the part `p` of it, given the
    /// stored shard `existing` (`None` when missing or when `p` covers the
    /// whole shard): only the inner chunks `p` touches are encoded, in
    /// parallel, each built straight from the selection's data (merged with
    /// its stored value where `p` covers it partly); every other stored inner
    /// chunk keeps its encoded bytes as they are. `data` is the whole
    /// selection's data (C order, `data_shape`).
    pub(crate) fn encode_shard(
        &self,
        p: &ChunkProjection,
        key: &str,
        existing: Option<&[u8]>,
        data: &[u8],
        data_shape: &[u64],
    ) -> Result<ChunkWrite> {
        let index = existing
            .map(|b| self.codec.shard_index(b, &self.encoded_spec))
            .transpose()
            .map_err(Self::codec_err(key))?;
        let cps = &self.chunks_per_shard;
        let n = cps.iter().product::<u64>() as usize;
        let stored = |i: usize| -> Option<&[u8]> {
            let r = index.as_ref()?.get(i)?;
            existing.map(|b| &b[r.start as usize..r.end as usize])
        };
        let touched: Vec<(usize, ChunkProjection)> = ResolvedSelection {
            dims: p.in_chunk.clone(),
            dropped: vec![false; p.in_chunk.len()],
        }
        .chunks(&self.inner.chunk_shape)?
        .into_iter()
        .map(|mut q| {
            for (o, base) in q.out_start.iter_mut().zip(&p.out_start) {
                *o += base;
            }
            (ravel(&self.encoded_coords(&q.chunk_coords), cps), q)
        })
        .collect();
        let written: Vec<(usize, ChunkWrite)> = touched
            .par_iter()
            .map(|(i, q)| {
                let w = self
                    .inner
                    .encode_fixed(q, key, stored(*i), data, data_shape)
                    .map_err(|e| match e {
                        ArrayError::Codec { key, source } => ArrayError::Codec {
                            key: format!("{key} (inner chunk {:?} of {cps:?})", q.chunk_coords),
                            source,
                        },
                        e => e,
                    })?;
                Ok((*i, w))
            })
            .collect::<Result<_>>()?;
        // Inner chunks neither stored nor touched are the fill value: stored
        // as such only with write_empty_chunks (as a whole-shard write does).
        let fill_chunk = if self.inner.write_empty_chunks {
            match self.inner.finish_fixed(
                key,
                self.inner
                    .fill()
                    .as_bytes()
                    .repeat(self.inner.spec.num_elements() as usize),
            )? {
                ChunkWrite::Set(b) => Some(b),
                ChunkWrite::Delete => None,
            }
        } else {
            None
        };
        let mut parts: Vec<Option<std::borrow::Cow<'_, [u8]>>> = (0..n)
            .map(|i| {
                stored(i)
                    .map(std::borrow::Cow::Borrowed)
                    .or_else(|| fill_chunk.as_deref().map(std::borrow::Cow::Borrowed))
            })
            .collect();
        for (i, w) in written {
            if let Some(slot) = parts.get_mut(i) {
                *slot = match w {
                    ChunkWrite::Set(b) => Some(std::borrow::Cow::Owned(b)),
                    ChunkWrite::Delete => None,
                };
            }
        }
        if !self.inner.write_empty_chunks && parts.iter().all(Option::is_none) {
            return Ok(ChunkWrite::Delete);
        }
        let shard = self
            .codec
            .assemble(parts, cps, &self.encoded_spec)
            .map_err(Self::codec_err(key))?;
        Ok(ChunkWrite::Set(shard))
    }

    /// The request that fetches a shard's index.
    pub(crate) fn index_request(&self) -> ByteRequest {
        match self.codec.index_location() {
            IndexLocation::End => ByteRequest::Suffix(self.index_size),
            IndexLocation::Start => ByteRequest::Range {
                start: 0,
                end: self.index_size,
            },
        }
    }

    /// Decode the index of shard `key` from `index_bytes` (fetched with
    /// [`Sharded::index_request`]); `shard_len`, when known, bounds the
    /// entries.
    pub(crate) fn decode_index(
        &self,
        key: &str,
        index_bytes: &[u8],
        shard_len: Option<u64>,
    ) -> Result<ShardIndex> {
        let size = self.index_size;
        if index_bytes.len() as u64 != size {
            return Err(Self::corrupt(
                key,
                format!(
                    "truncated shard: {} bytes cannot hold its {size}-byte index",
                    index_bytes.len()
                ),
            ));
        }
        let data = match (self.codec.index_location(), shard_len) {
            (IndexLocation::End, Some(len)) => 0..len - size,
            (IndexLocation::End, None) => 0..u64::MAX,
            (IndexLocation::Start, Some(len)) => size..len,
            (IndexLocation::Start, None) => size..u64::MAX,
        };
        self.codec
            .decode_index(index_bytes, &self.encoded_spec, data)
            .map_err(Self::codec_err(key))
    }

    /// Plan reading the part `p` (a projection of the outer chunk grid) of
    /// a shard with this index; byte ranges at most `gap` apart are merged.
    pub(crate) fn plan(
        &self,
        p: &ChunkProjection,
        index: &ShardIndex,
        gap: u64,
    ) -> Result<ShardReadPlan> {
        let sub = ResolvedSelection {
            dims: p.in_chunk.clone(),
            dropped: vec![false; p.in_chunk.len()],
        };
        let inner: Vec<ChunkProjection> = sub
            .chunks(&self.inner.chunk_shape)?
            .into_iter()
            .map(|mut q| {
                for (o, base) in q.out_start.iter_mut().zip(&p.out_start) {
                    *o += base;
                }
                q
            })
            .collect();
        let ranges: Vec<Option<Range<u64>>> = inner
            .iter()
            .map(|q| index.get_coords(&self.encoded_coords(&q.chunk_coords)))
            .collect();
        let mut order: Vec<usize> = (0..inner.len()).filter(|&i| ranges[i].is_some()).collect();
        order.sort_by_key(|&i| ranges[i].as_ref().map_or(0, |r| r.start));
        let mut groups: Vec<Range<u64>> = Vec::new();
        let mut group_of = vec![usize::MAX; inner.len()];
        for &i in &order {
            let Some(r) = ranges[i].clone() else { continue };
            match groups.last_mut() {
                Some(g) if r.start <= g.end.saturating_add(gap) => g.end = g.end.max(r.end),
                _ => groups.push(r),
            }
            group_of[i] = groups.len() - 1;
        }
        Ok(ShardReadPlan {
            inner,
            ranges,
            groups,
            group_of,
            chunks_per_shard: index.chunks_per_shard().to_vec(),
        })
    }

    /// Decode a whole fetched shard (`None`: missing, the fill value) into
    /// the output region of the complete projection `p`, inner chunk by
    /// inner chunk (no shard-sized scratch buffer).
    pub(crate) fn decode_whole(
        &self,
        outer: &Engine,
        p: &ChunkProjection,
        key: &str,
        shard: Option<crate::buffer::Buffer>,
        out: OutPtr,
        out_shape: &[u64],
    ) -> Result<()> {
        let Some(shard) = shard else {
            return outer.decode_fixed_into(p, key, None, out, out_shape);
        };
        let len = shard.len() as u64;
        let r = self.index_request().resolve(len);
        let index = self.decode_index(key, &shard[r.start as usize..r.end as usize], Some(len))?;
        let plan = self.plan(p, &index, 0)?.whole(len);
        self.decode_planned(&plan, &[Some(shard)], key, out, out_shape)
    }

    /// Decode the planned inner chunks, in parallel, straight into the
    /// output; `fetched` holds one buffer per group of the plan.
    pub(crate) fn decode_planned(
        &self,
        plan: &ShardReadPlan,
        fetched: &[Option<crate::buffer::Buffer>],
        key: &str,
        out: OutPtr,
        out_shape: &[u64],
    ) -> Result<()> {
        // Every stored inner chunk must lie inside what was fetched.
        for (r, &gi) in plan.ranges.iter().zip(&plan.group_of) {
            let (Some(r), Some(g)) = (r, plan.groups.get(gi)) else {
                continue;
            };
            let got = fetched
                .get(gi)
                .and_then(|f| f.as_ref())
                .map_or(0, |b| b.len() as u64);
            if r.end - g.start > got {
                return Err(Self::corrupt(
                    key,
                    format!(
                        "shard bytes {}..{} requested, {} bytes found: an index entry points past the end of the shard",
                        r.start,
                        r.end,
                        g.start + got
                    ),
                ));
            }
        }
        let cps = &plan.chunks_per_shard;
        plan.inner.par_iter().enumerate().try_for_each(|(i, q)| {
            let enc = plan.ranges[i].as_ref().and_then(|r| {
                let gi = plan.group_of[i];
                let g = plan.groups.get(gi)?;
                let b = fetched.get(gi)?.as_ref()?;
                Some(&b[(r.start - g.start) as usize..(r.end - g.start) as usize])
            });
            self.inner
                .decode_fixed_into(q, key, enc, out, out_shape)
                .map_err(|e| match e {
                    ArrayError::Codec { key, source } => ArrayError::Codec {
                        key: format!("{key} (inner chunk {:?} of {cps:?})", q.chunk_coords),
                        source,
                    },
                    e => e,
                })
        })
    }
}
