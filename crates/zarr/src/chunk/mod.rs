//! Chunks: the regular chunk grid, chunk key encodings, basic selections, and
//! the strided copies that move elements between chunks and outputs.

mod copy;
mod key_encoding;
mod query;
mod selection;

pub use copy::{
    all_equal, copy_strided, copy_strided_raw, fill_strided_raw, transpose_bytes, transpose_vec,
    StridedRegion,
};
pub(crate) use copy::{contiguous_offset, for_each_element};
pub use key_encoding::ChunkKeyEncoding;
pub use query::{AxisSelection, Gather, GatherPlan, GatherUnit, Query, Resolved};
pub use selection::{
    ChunkProjection, DimSlice, ResolvedSelection, Selection, SelectionError, SliceArg,
};

/// Number of chunks along each dimension of a regular grid.
///
/// ```
/// assert_eq!(zarr::chunk::grid_shape(&[10, 0, 7], &[5, 3, 7]), vec![2, 0, 1]);
/// ```
pub fn grid_shape(shape: &[u64], chunk_shape: &[u64]) -> Vec<u64> {
    shape
        .iter()
        .zip(chunk_shape)
        .map(|(&s, &c)| s.div_ceil(c.max(1)))
        .collect()
}

/// Iterate over every index of an N-d grid of `shape`, in C order.
pub fn grid_indices(shape: &[u64]) -> impl Iterator<Item = Vec<u64>> {
    let total: u64 = shape.iter().product();
    let shape = shape.to_vec();
    (0..total).map(move |mut flat| {
        let mut idx = vec![0; shape.len()];
        for d in (0..shape.len()).rev() {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
        idx
    })
}
