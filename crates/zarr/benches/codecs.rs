//! Encode and decode throughput of every codec on a realistic chunk: 1 MiB of
//! smooth `uint16` data (512 x 1024 elements).
//!
//! Run with `cargo bench -p zarr --bench codecs`.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use zarr::codec::{
    ArrayBytes, ArrayToArrayCodec, ArrayToBytesCodec, BloscCodec, BloscCompressor, BloscShuffle,
    BytesCodec, BytesToBytesCodec, ChunkSpec, Codec, CodecChain, Crc32cCodec, Endian, GzipCodec,
    TransposeCodec, ZstdCodec,
};
use zarr::dtype::{DataType, FillValue};

const ROWS: u64 = 512;
const COLS: u64 = 1024;

fn spec() -> ChunkSpec {
    ChunkSpec {
        shape: vec![ROWS, COLS],
        data_type: DataType::UInt16,
        fill_value: FillValue::default_for(DataType::UInt16),
    }
}

/// A smooth field (like an image or a simulation output) with a little noise.
fn chunk() -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut out = Vec::with_capacity((ROWS * COLS * 2) as usize);
    for r in 0..ROWS {
        for c in 0..COLS {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let x = r as f64 / 40.0;
            let y = c as f64 / 60.0;
            let v = 20_000.0 + 8_000.0 * x.sin() * y.cos() + (state % 4) as f64;
            out.extend_from_slice(&(v as u16).to_ne_bytes());
        }
    }
    out
}

fn bytes_to_bytes_codecs() -> Vec<(&'static str, Box<dyn BytesToBytesCodec>)> {
    vec![
        ("gzip-5", Box::new(GzipCodec::new(5).unwrap())),
        ("gzip-1", Box::new(GzipCodec::new(1).unwrap())),
        ("zstd-0", Box::new(ZstdCodec::new(0, false).unwrap())),
        (
            "zstd-1-checksum",
            Box::new(ZstdCodec::new(1, true).unwrap()),
        ),
        (
            "blosc-lz4-shuffle",
            Box::new(
                BloscCodec::new(BloscCompressor::Lz4, 5, BloscShuffle::Shuffle, 2, 0).unwrap(),
            ),
        ),
        (
            "blosc-zstd-shuffle",
            Box::new(
                BloscCodec::new(BloscCompressor::Zstd, 5, BloscShuffle::Shuffle, 2, 0).unwrap(),
            ),
        ),
        (
            "blosc-blosclz-bitshuffle",
            Box::new(
                BloscCodec::new(BloscCompressor::Blosclz, 5, BloscShuffle::BitShuffle, 2, 0)
                    .unwrap(),
            ),
        ),
        (
            "blosc-zlib-shuffle",
            Box::new(
                BloscCodec::new(BloscCompressor::Zlib, 5, BloscShuffle::Shuffle, 2, 0).unwrap(),
            ),
        ),
        ("crc32c", Box::new(Crc32cCodec::new())),
    ]
}

fn bench_bytes_to_bytes(c: &mut Criterion) {
    let data = chunk();
    let mut group = c.benchmark_group("bytes_to_bytes");
    group.throughput(Throughput::Bytes(data.len() as u64));
    for (name, codec) in bytes_to_bytes_codecs() {
        let encoded = codec.encode(&data).unwrap();
        eprintln!(
            "{name}: ratio {:.2}",
            data.len() as f64 / encoded.len() as f64
        );
        group.bench_with_input(BenchmarkId::new("encode", name), &data, |b, d| {
            b.iter(|| codec.encode(black_box(d)).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("decode", name), &encoded, |b, e| {
            b.iter(|| codec.decode(black_box(e), data.len()).unwrap())
        });
        let mut out = vec![0u8; data.len()];
        if codec.decode_into(&encoded, &mut out).unwrap() {
            group.bench_with_input(BenchmarkId::new("decode_into", name), &encoded, |b, e| {
                b.iter(|| codec.decode_into(black_box(e), &mut out).unwrap())
            });
        }
    }
    group.finish();
}

fn bench_array_codecs(c: &mut Criterion) {
    let data = chunk();
    let spec = spec();
    let mut group = c.benchmark_group("array");
    group.throughput(Throughput::Bytes(data.len() as u64));
    for endian in [Endian::Little, Endian::Big] {
        let codec = BytesCodec::new(Some(endian));
        let name = format!("bytes-{}", endian.as_str());
        let encoded = codec
            .encode(ArrayBytes::Fixed(data.clone()), &spec)
            .unwrap();
        group.bench_with_input(BenchmarkId::new("encode", &name), &data, |b, d| {
            b.iter(|| {
                codec
                    .encode(ArrayBytes::Fixed(black_box(d).clone()), &spec)
                    .unwrap()
            })
        });
        let mut out = vec![0u8; data.len()];
        group.bench_with_input(BenchmarkId::new("decode_into", &name), &encoded, |b, e| {
            b.iter(|| codec.decode_into(black_box(e), &spec, &mut out).unwrap())
        });
    }
    let transpose = TransposeCodec::new(vec![1, 0]).unwrap();
    let transposed = transpose
        .encode(ArrayBytes::Fixed(data.clone()), &spec)
        .unwrap();
    group.bench_with_input(BenchmarkId::new("encode", "transpose"), &data, |b, d| {
        b.iter(|| {
            transpose
                .encode(ArrayBytes::Fixed(black_box(d).clone()), &spec)
                .unwrap()
        })
    });
    group.bench_with_input(
        BenchmarkId::new("decode", "transpose"),
        &transposed,
        |b, t| b.iter(|| transpose.decode(black_box(t).clone(), &spec).unwrap()),
    );
    group.finish();
}

fn bench_chains(c: &mut Criterion) {
    let data = chunk();
    let spec = spec();
    let mut group = c.benchmark_group("chain");
    group.throughput(Throughput::Bytes(data.len() as u64));
    let chains: Vec<(&str, Vec<Codec>)> = vec![
        (
            "bytes+zstd",
            vec![
                BytesCodec::little().into(),
                ZstdCodec::new(0, false).unwrap().into(),
            ],
        ),
        (
            "bytes+blosc-lz4",
            vec![
                BytesCodec::little().into(),
                BloscCodec::new(BloscCompressor::Lz4, 5, BloscShuffle::Shuffle, 2, 0)
                    .unwrap()
                    .into(),
            ],
        ),
        (
            "bytes+gzip+crc32c",
            vec![
                BytesCodec::little().into(),
                GzipCodec::new(5).unwrap().into(),
                Crc32cCodec::new().into(),
            ],
        ),
    ];
    for (name, codecs) in chains {
        let chain = CodecChain::new(codecs).unwrap();
        let encoded = chain
            .encode(ArrayBytes::Fixed(data.clone()), &spec)
            .unwrap();
        group.bench_with_input(BenchmarkId::new("encode", name), &data, |b, d| {
            b.iter(|| {
                chain
                    .encode(ArrayBytes::Fixed(black_box(d).clone()), &spec)
                    .unwrap()
            })
        });
        let mut out = vec![0u8; data.len()];
        group.bench_with_input(BenchmarkId::new("decode_into", name), &encoded, |b, e| {
            b.iter(|| chain.decode_into(black_box(e), &spec, &mut out).unwrap())
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    bench_bytes_to_bytes,
    bench_array_codecs,
    bench_chains
);
criterion_main!(benches);
