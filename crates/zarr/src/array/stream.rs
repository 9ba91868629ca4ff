//! Streaming one array's data into another, one destination chunk (or
//! shard) at a time, with progress reports: the engine of
//! [`crate::api::copy`] and of re-encoding conversions.
//!
//! Memory stays bounded: each worker thread holds one destination chunk's
//! decoded data (a shard, for sharded destinations) at a time, never the
//! whole array.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use zarr::array::{stream_array, ArrayBuilder, CopyProgress, ProgressTracker};
//! use zarr::dtype::DataType;
//! use zarr::store::MemoryStore;
//! let store = Arc::new(MemoryStore::new());
//! let a = ArrayBuilder::new(vec![10], DataType::UInt8).chunks(vec![3])
//!     .create(store.clone(), "a").unwrap();
//! a.write_slice(&"0:10".parse().unwrap(), &(0..10u8).collect::<Vec<_>>()).unwrap();
//! let b = ArrayBuilder::new(vec![10], DataType::UInt8).chunks(vec![5])
//!     .create(store.clone(), "b").unwrap();
//! let seen = Arc::new(Mutex::new(Vec::new()));
//! let s = seen.clone();
//! let tracker = ProgressTracker::new(Some(Arc::new(move |p: &CopyProgress| {
//!     s.lock().unwrap().push(p.chunks_done);
//! })));
//! stream_array(&a, &b, &tracker).unwrap();
//! assert_eq!(b.read_vec::<u8>(&"0:10".parse().unwrap()).unwrap(), (0..10).collect::<Vec<u8>>());
//! assert_eq!(tracker.snapshot().chunks_done, 2);
//! assert_eq!(tracker.snapshot().bytes_done, 10);
//! ```

use super::error::{ArrayError, Result};
use super::Array;
use crate::buffer::NDData;
use crate::chunk::{grid_indices, Selection};
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Where a copy or conversion stands. Totals grow as work is planned, so a
/// progress bar can take `bytes_total` as its length at each report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CopyProgress {
    /// Chunks (or shards, or raw objects) written so far.
    pub chunks_done: u64,
    /// Chunks (or shards, or raw objects) planned so far.
    pub chunks_total: u64,
    /// Bytes done so far: decoded bytes of re-encoded chunks, stored bytes
    /// of objects copied unchanged.
    pub bytes_done: u64,
    /// Bytes planned so far, counted as `bytes_done` counts them.
    pub bytes_total: u64,
}

/// A progress callback; it is called from worker threads after each chunk.
pub type ProgressFn = Arc<dyn Fn(&CopyProgress) + Send + Sync>;

/// Thread-safe progress counters with an optional callback.
///
/// ```
/// use zarr::array::ProgressTracker;
/// let t = ProgressTracker::new(None);
/// t.plan(2, 100);
/// t.done(1, 40);
/// let p = t.snapshot();
/// assert_eq!((p.chunks_done, p.chunks_total, p.bytes_done, p.bytes_total), (1, 2, 40, 100));
/// ```
#[derive(Default)]
pub struct ProgressTracker {
    chunks_done: AtomicU64,
    chunks_total: AtomicU64,
    bytes_done: AtomicU64,
    bytes_total: AtomicU64,
    callback: Option<ProgressFn>,
}

impl std::fmt::Debug for ProgressTracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProgressTracker")
            .field("progress", &self.snapshot())
            .finish_non_exhaustive()
    }
}

impl ProgressTracker {
    /// Counters at zero, reporting to `callback` if given.
    pub fn new(callback: Option<ProgressFn>) -> Self {
        ProgressTracker {
            callback,
            ..Default::default()
        }
    }

    /// Add planned work (reported to the callback).
    pub fn plan(&self, chunks: u64, bytes: u64) {
        self.chunks_total.fetch_add(chunks, Ordering::Relaxed);
        self.bytes_total.fetch_add(bytes, Ordering::Relaxed);
        self.report();
    }

    /// Record finished work (reported to the callback).
    pub fn done(&self, chunks: u64, bytes: u64) {
        self.chunks_done.fetch_add(chunks, Ordering::Relaxed);
        self.bytes_done.fetch_add(bytes, Ordering::Relaxed);
        self.report();
    }

    /// The counters now.
    pub fn snapshot(&self) -> CopyProgress {
        CopyProgress {
            chunks_done: self.chunks_done.load(Ordering::Relaxed),
            chunks_total: self.chunks_total.load(Ordering::Relaxed),
            bytes_done: self.bytes_done.load(Ordering::Relaxed),
            bytes_total: self.bytes_total.load(Ordering::Relaxed),
        }
    }

    fn report(&self) {
        if let Some(cb) = &self.callback {
            cb(&self.snapshot());
        }
    }
}

/// Decoded bytes of a whole array of fixed-size elements (0 for
/// variable-length types, whose size is unknown until read).
pub(crate) fn decoded_bytes(a: &Array) -> u64 {
    let n: u64 = a.shape().iter().product();
    n * a.data_type().size().unwrap_or(0) as u64
}

/// Copy every element of `src` into `dst` (same shape and data type), a
/// few destination chunks or shards at a time, in parallel: each unit is
/// read from `src` (decoding only the source chunks it overlaps) and
/// encoded and stored by `dst` as whole chunks. A unit spans one
/// destination chunk, or as many as cover one source chunk when those are
/// larger. Plans `dst`'s chunk count and decoded size on
/// `progress`, then reports each chunk done. Chunks equal to the fill value
/// are not stored (unless `dst` writes empty chunks).
pub fn stream_array(src: &Array, dst: &Array, progress: &ProgressTracker) -> Result<()> {
    if src.shape() != dst.shape() || !src.data_type().same_elements(&dst.data_type()) {
        return Err(ArrayError::InvalidArgument(format!(
            "cannot stream {:?} ({} {:?}) into {:?} ({} {:?}): shapes and data types must match",
            src.path(),
            src.data_type(),
            src.shape(),
            dst.path(),
            dst.data_type(),
            dst.shape()
        )));
    }
    let n_chunks: u64 = dst.chunk_grid_shape().iter().product();
    progress.plan(n_chunks, decoded_bytes(src));
    stream_chunks(src, dst, progress)
}

/// The region copied as one unit along each dimension: the destination's
/// chunk (or shard) size, grown to a whole number of them covering at least
/// one source chunk (its inner chunk when sharded, the unit a partial read
/// decodes). Every destination chunk in a unit is then written whole, and
/// each source chunk is decoded by at most two units per dimension, however
/// the grids compare (small destination chunks from large source chunks do
/// not decode each source chunk over and over).
fn unit_shape(src: &Array, dst: &Array) -> Vec<u64> {
    let read = src
        .inner_chunk_shape()
        .unwrap_or_else(|| src.chunk_shape().to_vec());
    dst.chunk_shape()
        .iter()
        .zip(&read)
        .map(|(&d, &r)| r.max(d).div_ceil(d.max(1)) * d.max(1))
        .collect()
}

/// [`stream_array`] without planning (the caller planned the totals).
pub(crate) fn stream_chunks(src: &Array, dst: &Array, progress: &ProgressTracker) -> Result<()> {
    let shape = dst.shape().to_vec();
    let cs = dst.chunk_shape().to_vec();
    let unit = unit_shape(src, dst);
    let grid = crate::chunk::grid_shape(&shape, &unit);
    // Coordinates are generated lazily; rayon takes units as threads free up.
    grid_indices(&grid).par_bridge().try_for_each(|c| {
        let start: Vec<u64> = c.iter().zip(&unit).map(|(i, u)| i * u).collect();
        let extent: Vec<u64> = start
            .iter()
            .zip(&unit)
            .zip(&shape)
            .map(|((st, u), n)| (*u).min(n - st))
            .collect();
        let chunks: u64 = extent
            .iter()
            .zip(&cs)
            .map(|(e, c)| e.div_ceil((*c).max(1)))
            .product();
        let sel = Selection::from_box(&start, &extent);
        let buf = src.read_ndbuffer(&sel)?;
        let bytes = match buf.data() {
            NDData::Fixed(b) => b.len() as u64,
            NDData::Variable(v) => v.iter().map(|e| e.len() as u64).sum(),
        };
        dst.write_ndbuffer(&sel, &buf)?;
        progress.done(chunks, bytes);
        Ok(())
    })
}
