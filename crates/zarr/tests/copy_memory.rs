//! Memory test: re-encoding copies stream chunk by chunk. A 64 MiB array
//! in a folder is copied with new chunks and with new shards while a
//! counting allocator tracks the peak of live heap bytes; it must stay
//! well under the array's size (a whole-array read would exceed it).
//! The only test in this binary, so nothing else allocates meanwhile.

#![allow(clippy::unwrap_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use zarr::api::copy::{copy, CopyOptions, Shards};
use zarr::array::{Array, ArrayBuilder};
use zarr::chunk::Selection;
use zarr::dtype::DataType;
use zarr::store::{LocalStore, StoreRef};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only counting sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const ROWS: u64 = 8192;
const COLS: u64 = 8192;

fn local(p: &Path) -> StoreRef {
    Arc::new(LocalStore::new(p, false).unwrap())
}

fn row_block(start: u64, rows: u64) -> Vec<u8> {
    (0..rows * COLS)
        .map(|i| {
            let (r, c) = (start + i / COLS, i % COLS);
            (r.wrapping_mul(31) ^ c.wrapping_mul(7) ^ (c >> 9)) as u8
        })
        .collect()
}

#[test]
fn reencoding_copies_peak_far_below_the_array_size() {
    let dir = tempfile::tempdir().unwrap();
    let src = local(&dir.path().join("src"));
    let a = ArrayBuilder::new(vec![ROWS, COLS], DataType::UInt8)
        .chunks(vec![128, 8192])
        .create(src.clone(), "a")
        .unwrap();
    for start in (0..ROWS).step_by(128) {
        let sel = Selection::from_box(&[start, 0], &[128, COLS]);
        a.write_slice(&sel, &row_block(start, 128)).unwrap();
    }
    let size = (ROWS * COLS) as usize;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .unwrap();
    let cases = [
        ("chunks", CopyOptions::default().chunks(vec![256, 2048])),
        (
            "shards",
            CopyOptions::default()
                .chunks(vec![128, 1024])
                .shards(Shards::Shape(vec![256, 4096])),
        ),
    ];
    for (name, opts) in cases {
        let dst = local(&dir.path().join(name));
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let s = pool.install(|| copy(&src, "a", &dst, "a", &opts)).unwrap();
        let peak = PEAK.load(Ordering::Relaxed) - base;
        assert_eq!(s.reencoded, 1);
        eprintln!("{name}: peak {peak} bytes for a {size}-byte array");
        assert!(
            peak < size / 3,
            "{name}: copying peaked at {peak} bytes, the array holds {size}"
        );
        // Spot-check the copy.
        let b = Array::open(dst, "a").unwrap();
        let sel = Selection::from_box(&[4000, 0], &[3, COLS]);
        let want: Vec<u8> = row_block(4000, 3);
        assert_eq!(b.read_vec::<u8>(&sel).unwrap(), want);
    }

    // Converting a V2 array whose codecs need re-encoding (a quantize filter
    // that changes the type, which zarr-python cannot read in V3) in place
    // streams too.
    let conv = local(&dir.path().join("conv"));
    let (rows, cols) = (2048u64, 4096u64);
    let value = |r: u64, c: u64| ((r.wrapping_mul(31) ^ c.wrapping_mul(7)) % 3) as f32;
    let bits = ArrayBuilder::new(vec![rows, cols], DataType::Float32)
        .chunks(vec![32, cols])
        .zarr_format(2)
        .filters_v2(vec![serde_json::json!(
            {"id": "quantize", "digits": 2, "dtype": "<f4", "astype": "<f2"}
        )
        .as_object()
        .unwrap()
        .clone()])
        .create(conv.clone(), "bits")
        .unwrap();
    for start in (0..rows).step_by(128) {
        let sel = Selection::from_box(&[start, 0], &[128, cols]);
        let v: Vec<f32> = (0..128 * cols)
            .map(|i| value(start + i / cols, i % cols))
            .collect();
        bits.write_slice(&sel, &v).unwrap();
    }
    let size = (rows * cols) as usize * 4;
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let s = pool
        .install(|| zarr::array::convert_v2_to_v3(&conv, "bits", &conv, "bits", false))
        .unwrap();
    let peak = PEAK.load(Ordering::Relaxed) - base;
    assert_eq!(s.reencoded, 1);
    eprintln!("convert: peak {peak} bytes for a {size}-byte array");
    assert!(
        peak < size / 2,
        "convert peaked at {peak} bytes, the array holds {size}"
    );
    let b = Array::open(conv, "bits").unwrap();
    assert_eq!(b.zarr_format(), 3);
    let sel = Selection::from_box(&[1000, 0], &[1, cols]);
    let want: Vec<f32> = (0..cols).map(|c| value(1000, c)).collect();
    assert_eq!(b.read_vec::<f32>(&sel).unwrap(), want);
}
