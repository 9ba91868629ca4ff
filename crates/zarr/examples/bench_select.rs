//! Benchmark helper (used by `bench/run.py`, not part of the CLI): one
//! advanced selection of a `uint16` array in one process.
//!
//! ```text
//! cargo run --release -p zarr --example bench_select -- STORE points POINTS.txt OUTPUT.npy
//! cargo run --release -p zarr --example bench_select -- STORE rows ROWS.txt OUTPUT.npy
//! ```
//!
//! `points`: POINTS.txt holds one point per line (`z,y,x`); they are read by
//! one coordinate selection (zarr-python's `vindex`) into a 1-d OUTPUT.npy.
//! `rows`: ROWS.txt holds one index of axis 0 per line; they are read by one
//! orthogonal selection (`oindex[rows]`), every other axis whole. Prints
//! `inner_s: SECONDS`, the time of opening the array and reading the
//! selection (not parsing the text nor writing the .npy).

use std::sync::Arc;
use std::time::Instant;

use ndarray::{ArrayD, IxDyn};
use zarr::array::Array;
use zarr::chunk::{AxisSelection, Query};
use zarr::store::LocalStore;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 4 {
        eprintln!("usage: bench_select STORE points|rows FILE OUTPUT.npy");
        std::process::exit(2);
    }
    let lines: Vec<Vec<i64>> = std::fs::read_to_string(&args[2])?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(|v| v.trim().parse::<i64>()).collect())
        .collect::<std::result::Result<_, _>>()?;
    let query = match args[1].as_str() {
        "points" => {
            let ndim = lines.first().map_or(0, Vec::len);
            Query::Coordinates(
                (0..ndim)
                    .map(|d| {
                        ArrayD::from_shape_vec(
                            IxDyn(&[lines.len()]),
                            lines.iter().map(|p| p[d]).collect(),
                        )
                    })
                    .collect::<std::result::Result<_, _>>()?,
            )
        }
        "rows" => Query::Orthogonal(vec![AxisSelection::Indices(
            lines.iter().map(|l| l[0]).collect(),
        )]),
        other => return Err(format!("unknown selection kind {other:?}").into()),
    };
    let t = Instant::now();
    let store = Arc::new(LocalStore::new(&args[0], true)?);
    let array = Array::open(store, "")?;
    let out = array.read_query_ndbuffer(&query)?;
    let inner = t.elapsed().as_secs_f64();
    zarr::npy::write_npy(&args[3], &out)?;
    println!("inner_s: {inner:.6}");
    Ok(())
}
