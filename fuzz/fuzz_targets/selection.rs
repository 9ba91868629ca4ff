//! Selection strings, as `zarr export --select` takes them: the CLI parses
//! them with the library's `Selection::from_str` and resolves them with
//! `Selection::resolve`, so this target fuzzes those. The first byte is the
//! number of dimensions (0..=8), then one little-endian u64 per dimension
//! for the array shape and one for the chunk shape (at least 1), then the
//! selection text.
//!
//! Asserts: parsing and resolving never panic; a parsed selection written
//! with `Display` parses to the same selection; a resolved selection lies
//! inside the shape (every selected coordinate is in bounds, dropped axes
//! have length 1, the output shape is the shape without them); when the
//! selection touches at most 4096 chunks, `chunks` projects it onto the
//! chunk grid exactly (the projections' element counts add up to the
//! selection's, and each lies inside its chunk); the live heap stays under
//! 64 MiB.
#![no_main]
use libfuzzer_sys::fuzz_target;
use zarr::chunk::Selection;
use zarr_fuzz::{set_limit, Input, MIB};

/// The last selected coordinate (`start + (len - 1) * step`), when it fits.
fn last(start: u64, step: u64, len: u64) -> Option<u64> {
    len.checked_sub(1)?.checked_mul(step)?.checked_add(start)
}

fuzz_target!(|data: &[u8]| {
    set_limit(64 * MIB);
    let mut input = Input::new(data);
    let ndim = (input.byte() % 9) as usize;
    let shape: Vec<u64> = (0..ndim).map(|_| input.u64()).collect();
    let chunk: Vec<u64> = (0..ndim).map(|_| input.u64().max(1)).collect();
    let Ok(text) = std::str::from_utf8(input.rest()) else {
        return;
    };
    let Ok(sel) = text.parse::<Selection>() else {
        return;
    };
    let written = sel.to_string();
    let again: Selection = written
        .parse()
        .unwrap_or_else(|e| panic!("{written:?} (written from {text:?}) does not parse: {e}"));
    assert_eq!(sel, again, "{text:?} -> {written:?}");

    let Ok(r) = sel.resolve(&shape) else {
        return;
    };
    assert_eq!(r.dims.len(), ndim);
    assert_eq!(r.dropped.len(), ndim);
    for (d, (s, &size)) in r.dims.iter().zip(&shape).enumerate() {
        assert!(s.step >= 1, "axis {d}: step {}", s.step);
        if r.dropped[d] {
            assert_eq!(s.len, 1, "axis {d}: a dropped axis has one coordinate");
        }
        if s.len > 0 {
            let l =
                last(s.start, s.step, s.len).unwrap_or_else(|| panic!("axis {d}: {s:?} overflows"));
            assert!(l < size, "axis {d}: {s:?} goes past the size {size}");
        }
        assert!(s.len <= size, "axis {d}: {s:?} longer than {size}");
    }
    let out: Vec<usize> = r
        .dims
        .iter()
        .zip(&r.dropped)
        .filter(|(_, &dropped)| !dropped)
        .map(|(s, _)| s.len as usize)
        .collect();
    assert_eq!(r.out_shape(), out);

    // Project onto the chunk grid when that is small.
    let mut touched: u64 = 1;
    for (s, &c) in r.dims.iter().zip(&chunk) {
        let n = match last(s.start, s.step, s.len) {
            Some(l) => l / c - s.start / c + 1,
            None => 0,
        };
        touched = touched.saturating_mul(n);
    }
    let Some(total) = r
        .dims
        .iter()
        .try_fold(1u64, |acc, s| acc.checked_mul(s.len))
    else {
        return;
    };
    if touched > 4096 || ndim == 0 {
        return;
    }
    let projections = r.chunks(&chunk).expect("at most 4096 projections fit in memory");
    let mut sum: u64 = 0;
    for p in &projections {
        let mut n = 1u64;
        for (d, s) in p.in_chunk.iter().enumerate() {
            assert!(s.len >= 1);
            let l = last(s.start, s.step, s.len).expect("in-chunk slice fits");
            assert!(
                l < chunk[d],
                "axis {d}: {s:?} leaves chunk {:?}",
                p.chunk_coords
            );
            n *= s.len;
        }
        sum += n;
    }
    assert_eq!(sum, total, "projections cover {sum} of {total} elements");
});
