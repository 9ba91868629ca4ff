//! Advanced selections as `zarr export --select` takes them with
//! `--select-mode orthogonal|vectorized`: `Query::parse`, then
//! `Query::plan` on a small array. The first byte is the number of
//! dimensions (0..=4) and the mode (bit 7: vectorized), then one byte per
//! dimension for the shape (0..=31) and one for the chunk shape (1..=16),
//! then the selection text. Grids of more than 4096 chunks are skipped (a
//! plan holds one unit per chunk it touches).
//!
//! Asserts: parsing and planning never panic; the plan's output shape has
//! `num_elements` elements; its units lie inside their chunks and inside
//! the array; every output element is written by exactly one unit, once
//! (so a read fills the output and a write touches each selected element
//! once); the live heap stays under 64 MiB.
#![no_main]
use libfuzzer_sys::fuzz_target;
use zarr::chunk::Query;
use zarr_fuzz::{set_limit, Input, MIB};

fuzz_target!(|data: &[u8]| {
    set_limit(64 * MIB);
    let mut input = Input::new(data);
    let first = input.byte();
    let vectorized = first & 0x80 != 0;
    let ndim = (first % 5) as usize;
    let shape: Vec<u64> = (0..ndim).map(|_| (input.byte() % 32) as u64).collect();
    let chunks: Vec<u64> = (0..ndim).map(|_| (input.byte() % 16) as u64 + 1).collect();
    // A plan holds one unit per chunk touched: keep the grid small enough
    // for the heap bound (as the selection target does).
    let grid: u64 = shape
        .iter()
        .zip(&chunks)
        .map(|(&s, &c)| s.div_ceil(c))
        .product();
    if grid > 4096 {
        return;
    }
    let Ok(text) = std::str::from_utf8(input.rest()) else {
        return;
    };
    let Ok(query) = Query::parse(text, vectorized) else {
        return;
    };
    let Ok(plan) = query.plan(&shape, &chunks) else {
        return;
    };
    let n = plan.num_elements();
    assert_eq!(
        plan.out_shape().iter().map(|&d| d as u64).product::<u64>(),
        n,
        "{text:?}: output shape {:?} for {n} elements",
        plan.out_shape()
    );
    let mut written = vec![0u8; n as usize];
    for u in plan.units() {
        assert_eq!(u.chunk_coords.len(), ndim);
        assert_eq!(u.bbox.len(), ndim);
        for d in 0..ndim {
            let b = &u.bbox[d];
            assert!(b.len >= 1 && b.step == 1, "{text:?}: box {b:?}");
            assert!(b.start + b.len <= chunks[d], "{text:?}: box {b:?} outside its chunk");
            let end = u.chunk_coords[d] * chunks[d] + b.start + b.len;
            assert!(end <= shape[d], "{text:?}: box {b:?} of chunk {:?} outside the array", u.chunk_coords);
        }
        let box_shape: Vec<u64> = u.bbox.iter().map(|b| b.len).collect();
        let box_len: u64 = box_shape.iter().product();
        u.gather.for_each(&box_shape, |b, o| {
            assert!(b < box_len, "{text:?}: box offset {b} of {box_len}");
            assert!(o < n, "{text:?}: output offset {o} of {n}");
            written[o as usize] += 1;
        });
    }
    if let Some(o) = written.iter().position(|&w| w != 1) {
        panic!("{text:?}: output element {o} written {} times", written[o]);
    }
});
