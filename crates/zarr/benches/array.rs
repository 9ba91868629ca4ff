//! Array read and write throughput: a 128^3 uint16 array in 32^3 chunks
//! (zstd level 0), in memory and in a folder, whole-array and sub-box.

#![allow(clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::sync::Arc;
use zarr::array::{Array, ArrayBuilder};
use zarr::chunk::Selection;
use zarr::dtype::DataType;
use zarr::store::{LocalStore, MemoryStore, StoreRef};

const N: u64 = 128;

fn data() -> Vec<u16> {
    let n = N as usize;
    (0..n * n * n)
        .map(|i| {
            let (z, y, x) = (i / (n * n), (i / n) % n, i % n);
            (1000.0
                + 500.0 * ((x as f64) * 0.05).sin() * ((y as f64) * 0.03).cos()
                + (z as f64) * 2.0) as u16
                ^ (i as u16 & 3)
        })
        .collect()
}

fn make(store: StoreRef) -> Array {
    ArrayBuilder::new(vec![N, N, N], DataType::UInt16)
        .chunks(vec![32, 32, 32])
        .overwrite(true)
        .create(store, "bench")
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let values = data();
    let dir = tempfile::tempdir().unwrap();
    let stores: Vec<(&str, StoreRef)> = vec![
        ("memory", Arc::new(MemoryStore::new())),
        (
            "folder",
            Arc::new(LocalStore::new(dir.path(), false).unwrap()),
        ),
    ];
    let mut g = c.benchmark_group("array");
    g.throughput(Throughput::Bytes(values.len() as u64 * 2));
    g.sample_size(20);
    for (name, store) in &stores {
        let a = make(store.clone());
        g.bench_function(BenchmarkId::new("write_all", name), |b| {
            b.iter(|| a.write_slice(&Selection::all(), &values).unwrap())
        });
        a.write_slice(&Selection::all(), &values).unwrap();
        g.bench_function(BenchmarkId::new("read_all", name), |b| {
            b.iter(|| a.read_vec::<u16>(&Selection::all()).unwrap())
        });
        let mut out = vec![0u16; values.len()];
        g.bench_function(BenchmarkId::new("read_into", name), |b| {
            b.iter(|| a.read_into(&Selection::all(), &mut out).unwrap())
        });
    }
    g.finish();
    let mut g = c.benchmark_group("array_box");
    let a = make(stores[0].1.clone());
    a.write_slice(&Selection::all(), &values).unwrap();
    let sel: Selection = "10:74, 20:84, 5:69".parse().unwrap();
    g.throughput(Throughput::Bytes(64 * 64 * 64 * 2));
    g.bench_function("read_box_memory", |b| {
        b.iter(|| a.read_vec::<u16>(&sel).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
