//! Strided N-d copies between C-order buffers: the only place elements move
//! between chunks and outputs.

use super::DimSlice;

/// A strided box inside a C-order buffer of `shape`: on each axis the
/// coordinates `start + k * step`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StridedRegion<'a> {
    /// The whole buffer's shape.
    pub shape: &'a [u64],
    /// Selected coordinates per axis.
    pub dims: &'a [DimSlice],
}

impl StridedRegion<'_> {
    /// Element offset of the region's first element and the element stride of each axis.
    fn layout(&self) -> (usize, Vec<isize>) {
        let n = self.shape.len();
        let mut strides = vec![0isize; n];
        let mut acc: u64 = 1;
        let mut offset: u64 = 0;
        for d in (0..n).rev() {
            strides[d] = (acc * self.dims[d].step) as isize;
            offset += self.dims[d].start * acc;
            acc *= self.shape[d];
        }
        (offset as usize, strides)
    }
}

/// Call `f(src_offset, dst_offset, run)` for runs of `run` consecutive
/// elements in both buffers (element offsets), covering the box of `lens`
/// walked with the given element strides. Adjacent axes that are contiguous
/// in both buffers are merged, so full-width copies become single runs.
pub(crate) fn for_each_run(
    lens: &[u64],
    src: (usize, &[isize]),
    dst: (usize, &[isize]),
    mut f: impl FnMut(usize, usize, usize),
) {
    if lens.contains(&0) {
        return;
    }
    // Collapse axes: (len, src stride, dst stride), innermost last.
    let mut axes: Vec<(u64, isize, isize)> = Vec::with_capacity(lens.len());
    for (i, &len) in lens.iter().enumerate() {
        if len != 1 {
            axes.push((len, src.1[i], dst.1[i]));
        }
    }
    // Merge from the inside out.
    let mut merged: Vec<(u64, isize, isize)> = Vec::with_capacity(axes.len());
    for ax in axes.into_iter().rev() {
        if let Some(inner) = merged.last_mut() {
            if ax.1 == inner.1 * inner.0 as isize && ax.2 == inner.2 * inner.0 as isize {
                inner.0 *= ax.0;
                continue;
            }
        }
        merged.push(ax);
    }
    merged.reverse();
    let (inner_len, inner_s, inner_d) = merged.pop().unwrap_or((1, 1, 1));
    let contiguous = inner_s == 1 && inner_d == 1;
    let mut idx = vec![0u64; merged.len()];
    let (mut so, mut d_o) = (src.0 as isize, dst.0 as isize);
    loop {
        if contiguous {
            f(so as usize, d_o as usize, inner_len as usize);
        } else {
            for k in 0..inner_len as isize {
                f((so + k * inner_s) as usize, (d_o + k * inner_d) as usize, 1);
            }
        }
        // Advance the odometer over the outer axes.
        let mut axis = merged.len();
        loop {
            if axis == 0 {
                return;
            }
            axis -= 1;
            idx[axis] += 1;
            so += merged[axis].1;
            d_o += merged[axis].2;
            if idx[axis] < merged[axis].0 {
                break;
            }
            so -= merged[axis].1 * merged[axis].0 as isize;
            d_o -= merged[axis].2 * merged[axis].0 as isize;
            idx[axis] = 0;
        }
    }
}

/// Copy the elements of `src_region` in `src` to `dst_region` in `dst` (both
/// regions select the same number of elements per axis).
///
/// # Safety
/// `src` and `dst` must be valid for the whole buffers their regions describe
/// (`product(shape) * elem_size` bytes), and no other thread may write the
/// destination elements of this region concurrently.
pub unsafe fn copy_strided_raw(
    src: *const u8,
    src_region: &StridedRegion<'_>,
    dst: *mut u8,
    dst_region: &StridedRegion<'_>,
    elem_size: usize,
) {
    let lens: Vec<u64> = src_region.dims.iter().map(|d| d.len).collect();
    let (so, ss) = src_region.layout();
    let (d_o, ds) = dst_region.layout();
    for_each_run(&lens, (so, &ss), (d_o, &ds), |s, d, n| {
        // SAFETY: offsets lie inside both buffers by construction of the regions.
        unsafe {
            std::ptr::copy_nonoverlapping(
                src.add(s * elem_size),
                dst.add(d * elem_size),
                n * elem_size,
            )
        };
    });
}

/// Safe strided copy between two byte buffers. Panics only on programming
/// errors (regions that do not fit their buffers).
pub fn copy_strided(
    src: &[u8],
    src_region: &StridedRegion<'_>,
    dst: &mut [u8],
    dst_region: &StridedRegion<'_>,
    elem_size: usize,
) {
    let n_src: u64 = src_region.shape.iter().product();
    let n_dst: u64 = dst_region.shape.iter().product();
    assert!(
        src.len() as u64 >= n_src * elem_size as u64
            && dst.len() as u64 >= n_dst * elem_size as u64
    );
    assert!(region_fits(src_region) && region_fits(dst_region));
    assert!(src_region
        .dims
        .iter()
        .zip(dst_region.dims)
        .all(|(a, b)| a.len == b.len));
    // SAFETY: sizes and region bounds checked above; `dst` is borrowed exclusively.
    unsafe {
        copy_strided_raw(
            src.as_ptr(),
            src_region,
            dst.as_mut_ptr(),
            dst_region,
            elem_size,
        )
    }
}

/// True when every selected coordinate lies inside the buffer.
pub(crate) fn region_fits(r: &StridedRegion<'_>) -> bool {
    r.dims.len() == r.shape.len()
        && r.dims
            .iter()
            .zip(r.shape)
            .all(|(d, &s)| d.len == 0 || d.start + (d.len - 1) * d.step < s)
}

/// Element-level variant for variable-length elements: `f(src_index, dst_index)`.
pub(crate) fn for_each_element(
    src_region: &StridedRegion<'_>,
    dst_region: &StridedRegion<'_>,
    mut f: impl FnMut(usize, usize),
) {
    let lens: Vec<u64> = src_region.dims.iter().map(|d| d.len).collect();
    let (so, ss) = src_region.layout();
    let (d_o, ds) = dst_region.layout();
    for_each_run(&lens, (so, &ss), (d_o, &ds), |s, d, n| {
        for k in 0..n {
            f(s + k, d + k);
        }
    });
}

/// Call `f(offset, run)` for runs of consecutive elements covering a region.
pub(crate) fn for_each_run_region(region: &StridedRegion<'_>, mut f: impl FnMut(usize, usize)) {
    let lens: Vec<u64> = region.dims.iter().map(|d| d.len).collect();
    let (o, s) = region.layout();
    for_each_run(&lens, (o, &s), (o, &s), |_, d, n| f(d, n));
}

/// True when every `pattern.len()`-byte element of `data` equals `pattern`.
pub fn all_equal(data: &[u8], pattern: &[u8]) -> bool {
    if pattern.iter().all(|&b| b == 0) {
        return data.iter().all(|&b| b == 0);
    }
    if pattern.is_empty() {
        return data.is_empty();
    }
    data.chunks_exact(pattern.len()).all(|e| e == pattern)
}

/// The element offset of a box inside a C-order buffer of `shape` when the
/// box is one contiguous run, `None` otherwise.
pub(crate) fn contiguous_offset(shape: &[u64], dims: &[DimSlice]) -> Option<usize> {
    // Leading axes of length 1, then one partial axis, then full axes.
    let first = dims.iter().position(|d| d.len != 1).unwrap_or(dims.len());
    if dims
        .iter()
        .zip(shape)
        .skip(first + 1)
        .any(|(d, &s)| d.start != 0 || d.len != s)
    {
        return None;
    }
    let mut offset = 0u64;
    let mut acc = 1u64;
    for (d, &s) in dims.iter().zip(shape).rev() {
        offset += d.start * acc;
        acc *= s;
    }
    Some(offset as usize)
}

/// Write `fill` into every element of `region`.
///
/// # Safety
/// `dst` must be valid for the buffer the region describes, and no other
/// thread may write these elements concurrently.
pub unsafe fn fill_strided_raw(dst: *mut u8, region: &StridedRegion<'_>, fill: &[u8]) {
    let size = fill.len();
    if size == 0 {
        return;
    }
    let zeros = fill.iter().all(|&b| b == 0);
    // Use a region-to-itself walk: source offsets are ignored.
    for_each_run_region(region, |d, n| {
        // SAFETY: offsets inside the region, which lies inside the buffer.
        unsafe {
            let p = dst.add(d * size);
            if zeros {
                std::ptr::write_bytes(p, 0, n * size);
            } else {
                for k in 0..n {
                    std::ptr::copy_nonoverlapping(fill.as_ptr(), p.add(k * size), size);
                }
            }
        }
    });
}

/// Strides (in elements) of a C-order buffer.
fn c_strides(shape: &[usize]) -> Vec<isize> {
    let mut s = vec![0isize; shape.len()];
    let mut acc = 1isize;
    for d in (0..shape.len()).rev() {
        s[d] = acc;
        acc *= shape[d] as isize;
    }
    s
}

/// Permute the axes of a C-order buffer: output axis `i` is input axis
/// `perm[i]`.
pub fn transpose_bytes(
    src: &[u8],
    src_shape: &[usize],
    perm: &[usize],
    elem_size: usize,
) -> Vec<u8> {
    let n: usize = src_shape.iter().product();
    assert!(src.len() >= n * elem_size && perm.len() == src_shape.len());
    let mut out = vec![0u8; n * elem_size];
    let out_shape: Vec<u64> = perm.iter().map(|&p| src_shape[p] as u64).collect();
    let in_strides = c_strides(src_shape);
    let src_strides: Vec<isize> = perm.iter().map(|&p| in_strides[p]).collect();
    let out_strides = c_strides(&out_shape.iter().map(|&x| x as usize).collect::<Vec<_>>());
    let (s, d) = (src.as_ptr(), out.as_mut_ptr());
    // SAFETY: for_each_run only yields offsets of elements inside both buffers
    // (the same box walked with the two layouts), each checked above to hold `n` elements.
    unsafe {
        match elem_size {
            1 => transpose_typed::<1>(s, d, &out_shape, &src_strides, &out_strides),
            2 => transpose_typed::<2>(s, d, &out_shape, &src_strides, &out_strides),
            4 => transpose_typed::<4>(s, d, &out_shape, &src_strides, &out_strides),
            8 => transpose_typed::<8>(s, d, &out_shape, &src_strides, &out_strides),
            16 => transpose_typed::<16>(s, d, &out_shape, &src_strides, &out_strides),
            _ => for_each_run(
                &out_shape,
                (0, &src_strides),
                (0, &out_strides),
                |so, dof, k| {
                    std::ptr::copy_nonoverlapping(
                        s.add(so * elem_size),
                        d.add(dof * elem_size),
                        k * elem_size,
                    )
                },
            ),
        }
    }
    out
}

/// Element copies of a constant size, so single-element runs compile to moves.
///
/// # Safety
/// Both buffers must hold every element the strides address.
unsafe fn transpose_typed<const N: usize>(
    src: *const u8,
    dst: *mut u8,
    lens: &[u64],
    src_strides: &[isize],
    dst_strides: &[isize],
) {
    for_each_run(lens, (0, src_strides), (0, dst_strides), |s, d, k| {
        if k == 1 {
            // SAFETY: caller guarantees the element lies in both buffers.
            unsafe {
                std::ptr::write_unaligned(
                    dst.add(d * N).cast::<[u8; N]>(),
                    std::ptr::read_unaligned(src.add(s * N).cast::<[u8; N]>()),
                )
            }
        } else {
            // SAFETY: as above, for a run of `k` elements.
            unsafe { std::ptr::copy_nonoverlapping(src.add(s * N), dst.add(d * N), k * N) }
        }
    });
}

/// [`transpose_bytes`] for any element type.
pub fn transpose_vec<T: Clone>(src: &[T], src_shape: &[usize], perm: &[usize]) -> Vec<T> {
    let out_shape: Vec<u64> = perm.iter().map(|&p| src_shape[p] as u64).collect();
    let in_strides = c_strides(src_shape);
    let src_strides: Vec<isize> = perm.iter().map(|&p| in_strides[p]).collect();
    let out_strides = c_strides(&out_shape.iter().map(|&x| x as usize).collect::<Vec<_>>());
    let mut idx: Vec<usize> = vec![0; src.len()];
    for_each_run(
        &out_shape,
        (0, &src_strides),
        (0, &out_strides),
        |s, d, n| {
            for k in 0..n {
                idx[d + k] = s + k;
            }
        },
    );
    idx.into_iter().map(|i| src[i].clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpose_2d() {
        let src: Vec<u8> = (0..6).collect(); // [[0,1,2],[3,4,5]]
        assert_eq!(
            transpose_bytes(&src, &[2, 3], &[1, 0], 1),
            vec![0, 3, 1, 4, 2, 5]
        );
        assert_eq!(
            transpose_vec(&src, &[2, 3], &[1, 0]),
            vec![0, 3, 1, 4, 2, 5]
        );
        assert_eq!(transpose_vec(&src, &[2, 3], &[0, 1]), src);
    }

    #[test]
    fn strided_copy() {
        // 4x4 source 0..16, take rows 1..3 step 1, cols 0.. step 2 into a 3x3 dst at (1,1).
        let src: Vec<u8> = (0..16).collect();
        let mut dst = vec![0u8; 9];
        let sd = [
            DimSlice {
                start: 1,
                step: 1,
                len: 2,
            },
            DimSlice {
                start: 0,
                step: 2,
                len: 2,
            },
        ];
        let dd = [
            DimSlice {
                start: 1,
                step: 1,
                len: 2,
            },
            DimSlice {
                start: 1,
                step: 1,
                len: 2,
            },
        ];
        copy_strided(
            &src,
            &StridedRegion {
                shape: &[4, 4],
                dims: &sd,
            },
            &mut dst,
            &StridedRegion {
                shape: &[3, 3],
                dims: &dd,
            },
            1,
        );
        assert_eq!(dst, vec![0, 0, 0, 0, 4, 6, 0, 8, 10]);
    }
}
