//! Benchmark helper (used by `bench/run.py`, not part of the CLI): read many
//! small boxes of a `uint16` array in one process.
//!
//! ```text
//! cargo run --release -p zarr --example bench_boxes -- STORE BOXES.txt SIZE OUTPUT.npy
//! ```
//!
//! BOXES.txt holds one box start per line (`z,y,x`); every box is SIZE on
//! each axis. The boxes are read one after another (each one a separate
//! `read_into` call, as a user reading random regions would) and stacked into
//! OUTPUT.npy, shape (N, SIZE, SIZE, SIZE), so that the harness can check
//! them. Prints `inner_s: SECONDS`, the time of opening the array and reading
//! the boxes (not parsing BOXES.txt nor writing the .npy).

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use zarr::array::Array;
use zarr::chunk::Selection;
use zarr::store::LocalStore;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 4 {
        eprintln!("usage: bench_boxes STORE BOXES.txt SIZE OUTPUT.npy");
        std::process::exit(2);
    }
    let size: u64 = args[2].parse()?;
    let boxes: Vec<Vec<u64>> = std::fs::read_to_string(&args[1])?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(|v| v.trim().parse::<u64>()).collect())
        .collect::<std::result::Result<_, _>>()?;
    let n = usize::try_from(size)?.pow(3);
    let mut out = vec![0u16; n * boxes.len()];

    let t = Instant::now();
    let store = Arc::new(LocalStore::new(&args[0], true)?);
    let array = Array::open(store, "")?;
    let shape = vec![size; array.shape().len()];
    for (b, dst) in boxes.iter().zip(out.chunks_exact_mut(n)) {
        array.read_into(&Selection::from_box(b, &shape), dst)?;
    }
    let inner = t.elapsed().as_secs_f64();

    let header = format!(
        "{{'descr': '<u2', 'fortran_order': False, 'shape': ({}, {size}, {size}, {size}), }}",
        boxes.len()
    );
    let pad = (64 - (10 + header.len() + 1) % 64) % 64;
    let header = format!("{header}{}\n", " ".repeat(pad));
    let mut f = std::io::BufWriter::new(std::fs::File::create(&args[3])?);
    f.write_all(b"\x93NUMPY\x01\x00")?;
    f.write_all(&u16::try_from(header.len())?.to_le_bytes())?;
    f.write_all(header.as_bytes())?;
    for v in &out {
        f.write_all(&v.to_le_bytes())?;
    }
    f.flush()?;
    println!("inner_s: {inner:.6}");
    Ok(())
}
