//! Memory test: reading a whole sharded array into memory peaks at about the
//! output's size, not twice it.
//!
//! Writes a 1 GiB `uint16` array (shape 512 x 1024 x 1024, shards 256^3 of
//! 32^3 inner chunks, zstd level 0) to a temporary folder, then reads it
//! whole in a child process (this test binary run again) that does nothing
//! else, and checks the child's peak resident memory (`VmHWM` in
//! `/proc/self/status`, Linux only) against 1.25x the output size.
//!
//! It runs only in release builds (`cargo test --release -p zarr --test
//! shard_memory`, as scripts/test.sh does): in debug builds it prints a note
//! and passes. `ZARR_MEMORY_TEST_MIB` sets the array size in MiB (a multiple
//! of 512; default 1024).

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;
use zarr::array::{Array, ArrayBuilder};
use zarr::chunk::Selection;
use zarr::dtype::DataType;
use zarr::store::{LocalStore, StoreRef};

const CHILD_ENV: &str = "ZARR_MEMORY_TEST_CHILD";
const MIB: u64 = 1 << 20;

/// The peak resident set size of this process, in bytes.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The child side: read the whole array, print `PEAK <bytes> <elements>`.
#[test]
fn child_reader() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let store: StoreRef = Arc::new(LocalStore::new(Path::new(&dir), true).unwrap());
    let a = Array::open(store, "big").unwrap();
    let before = peak_rss().unwrap();
    let v = a.read_vec::<u16>(&Selection::all()).unwrap();
    // Check a sample so the read cannot be optimised away.
    let shape = a.shape().to_vec();
    for (i, &x) in v.iter().enumerate().step_by(1_000_003) {
        assert_eq!(x, value(i as u64, &shape), "element {i}");
    }
    println!("PEAK {} {} BEFORE {}", peak_rss().unwrap(), v.len(), before);
}

/// The stored value at flat index `i`: smooth with some noise, so zstd has
/// real work and shards are neither tiny nor incompressible.
fn value(i: u64, shape: &[u64]) -> u16 {
    let x = i % shape[2];
    let noise = (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 60) as u16;
    (x as u16).wrapping_mul(3).wrapping_add(noise)
}

#[test]
fn reading_a_sharded_array_peaks_near_its_size() {
    if cfg!(debug_assertions) && std::env::var_os("ZARR_MEMORY_TEST_DEBUG").is_none() {
        eprintln!(
            "skipping the shard memory test in a debug build (run: cargo test --release -p zarr --test shard_memory)"
        );
        return;
    }
    if peak_rss().is_none() {
        eprintln!("skipping the shard memory test: no /proc/self/status VmHWM");
        return;
    }
    let mib: u64 = std::env::var("ZARR_MEMORY_TEST_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    assert!(
        mib >= 512 && mib.is_multiple_of(512),
        "ZARR_MEMORY_TEST_MIB: a multiple of 512"
    );
    // 512 MiB per 256 rows (one row of shards) of 1024 x 1024 uint16.
    let shape = vec![mib / 2, 1024, 1024];
    let n_bytes = mib * MIB;
    let dir = tempfile::tempdir().unwrap();
    let store: StoreRef = Arc::new(LocalStore::new(dir.path(), false).unwrap());
    let a = ArrayBuilder::new(shape.clone(), DataType::UInt16)
        .chunks(vec![32, 32, 32])
        .shards(vec![256, 256, 256])
        .create(store, "big")
        .unwrap();
    // Write one whole shard at a time (32 MiB).
    let t0 = Instant::now();
    const S: u64 = 256;
    let mut shard = vec![0u16; (S * S * S) as usize];
    for s0 in (0..shape[0]).step_by(S as usize) {
        for s1 in (0..shape[1]).step_by(S as usize) {
            for s2 in (0..shape[2]).step_by(S as usize) {
                for (j, x) in shard.iter_mut().enumerate() {
                    let j = j as u64;
                    let (i0, i1, i2) = (s0 + j / (S * S), s1 + j / S % S, s2 + j % S);
                    *x = value((i0 * shape[1] + i1) * shape[2] + i2, &shape);
                }
                let sel = Selection::from_box(&[s0, s1, s2], &[S, S, S]);
                a.write_slice(&sel, &shard).unwrap();
            }
        }
    }
    drop(shard);
    let write_time = t0.elapsed();
    let stored = a.stored_size().unwrap();
    let t1 = Instant::now();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_reader",
            "--test-threads=1",
            "--nocapture",
            "--quiet",
        ])
        .env(CHILD_ENV, dir.path())
        .output()
        .unwrap();
    let read_time = t1.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "reader failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find(|l| l.starts_with("PEAK "))
        .unwrap_or_else(|| panic!("no PEAK line: {stdout}"));
    let fields: Vec<u64> = line
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    let (peak, elements, before) = (fields[0], fields[1], fields[2]);
    assert_eq!(elements * 2, n_bytes);
    // The output plus a quarter: room for a few encoded shards and scratch;
    // plus what the process held before reading (binary, allocator, threads).
    let allowed = n_bytes + n_bytes / 4 + before;
    eprintln!(
        "shard memory test: {} MiB uint16 ({} MiB stored), written in {:.1} s; whole read in a child in {:.1} s peaking at {} MiB ({:.3}x the output; {} MiB before reading; allowed {} MiB)",
        mib,
        stored / MIB,
        write_time.as_secs_f64(),
        read_time.as_secs_f64(),
        peak / MIB,
        peak as f64 / n_bytes as f64,
        before / MIB,
        allowed / MIB
    );
    assert!(
        peak < allowed,
        "reading {mib} MiB peaked at {} MiB (allowed {} MiB)",
        peak / MIB,
        allowed / MIB
    );
}
