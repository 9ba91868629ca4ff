//! Interoperability with TensorStore (0.1.86, in the test venv), both
//! directions, V3 and V2: arrays TensorStore writes (sharded with the index
//! at the start or end, transpose + big-endian + blosc, crc32c, dot chunk
//! keys, NaN fill with missing chunks, V2 order F with "/" keys) read here
//! exactly, and arrays we write read exactly in TensorStore.
//! The peer script is `tests/interop/tensorstore_peer.py`.

#![allow(clippy::unwrap_used)]

mod common;

use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use zarr::array::{Array, ArrayBuilder};
use zarr::buffer::{NDBuffer, NDData, Order};
use zarr::chunk::Selection;
use zarr::codec::IndexLocation;
use zarr::dtype::DataType;
use zarr::metadata::CodecMetadata;
use zarr::store::{LocalStore, StoreRef};

const PEER: &str = "tensorstore_peer.py";

fn local(dir: &Path) -> StoreRef {
    Arc::new(LocalStore::new(dir, false).unwrap())
}

/// Our reading of every array TensorStore wrote equals what TensorStore
/// reads back from it, byte for byte (NaN payloads and -0.0 included).
#[test]
fn we_read_what_tensorstore_writes() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::run_script(&common::python(), PEER, &[Path::new("write"), dir.path()]);
    assert!(out.contains("wrote"), "{out}");
    let manifest: Vec<Value> =
        serde_json::from_slice(&std::fs::read(dir.path().join("manifest.json")).unwrap()).unwrap();
    assert!(manifest.len() >= 10, "{manifest:?}");
    let store = local(dir.path());
    for e in &manifest {
        let path = e["path"].as_str().unwrap();
        let a = Array::open(store.clone(), path).unwrap_or_else(|err| panic!("{path}: {err}"));
        let shape: Vec<u64> = serde_json::from_value(e["shape"].clone()).unwrap();
        assert_eq!(a.shape(), shape.as_slice(), "{path}");
        assert_eq!(
            a.zarr_format(),
            if e["driver"] == "zarr3" { 3 } else { 2 },
            "{path}"
        );
        let got = a
            .read_ndbuffer(&Selection::all())
            .unwrap_or_else(|err| panic!("{path}: {err}"));
        let NDData::Fixed(bytes) = got.data() else {
            panic!("{path}: fixed-size data expected")
        };
        let want = std::fs::read(dir.path().join(e["expected"].as_str().unwrap())).unwrap();
        const { assert!(cfg!(target_endian = "little")) };
        assert!(*bytes == want, "{path}: values differ from TensorStore's");
    }
}

/// Deterministic element bytes (native order) for `dt`, with NaN, infinity
/// and -0.0 among the floats.
fn values(dt: DataType, n: usize) -> Vec<u8> {
    let f = |i: usize| match i % 11 {
        3 => f64::NAN,
        5 => -0.0,
        7 => f64::INFINITY,
        _ => i as f64 * 0.37 - 11.5,
    };
    let mut b = Vec::new();
    for i in 0..n {
        let x = (i as i64) * 7919 - 300;
        match dt {
            DataType::Bool => b.push(u8::from(i % 3 == 0)),
            DataType::UInt8 => b.push(x as u8),
            DataType::Int16 => b.extend((x as i16).to_ne_bytes()),
            DataType::UInt16 => b.extend((x as u16).to_ne_bytes()),
            DataType::Int32 => b.extend((x as i32).wrapping_mul(1000).to_ne_bytes()),
            DataType::UInt32 => b.extend((x as u32).wrapping_mul(65537).to_ne_bytes()),
            DataType::Int64 => b.extend(x.wrapping_mul(1_000_000_007).to_ne_bytes()),
            DataType::Float32 => b.extend((f(i) as f32).to_ne_bytes()),
            DataType::Float64 => b.extend(f(i).to_ne_bytes()),
            DataType::Complex128 => {
                b.extend(f(i).to_ne_bytes());
                b.extend((i as f64).to_ne_bytes());
            }
            other => panic!("no values for {other}"),
        }
    }
    b
}

fn codec(v: Value) -> CodecMetadata {
    serde_json::from_value(v).unwrap()
}

/// TensorStore reads every array we write exactly.
#[test]
fn tensorstore_reads_what_we_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = local(dir.path());
    let zstd = || codec(json!({"name": "zstd", "configuration": {"level": 3, "checksum": true}}));
    // (path, driver, builder, selection written: None = everything)
    let cases: Vec<(&str, &str, ArrayBuilder, Option<&str>)> = vec![
        (
            "v3/default_u16",
            "zarr3",
            ArrayBuilder::new(vec![10, 7, 5], DataType::UInt16).chunks(vec![4, 4, 4]),
            None,
        ),
        (
            "v3/sharded_end_f32",
            "zarr3",
            ArrayBuilder::new(vec![16, 9], DataType::Float32)
                .shards(vec![8, 9])
                .chunks(vec![4, 3]),
            None,
        ),
        (
            "v3/sharded_start_gzip_partial",
            "zarr3",
            ArrayBuilder::new(vec![20, 10], DataType::Int32)
                .shards(vec![8, 8])
                .chunks(vec![4, 4])
                .shard_index_location(IndexLocation::Start)
                .compressors(vec![codec(json!({"name": "gzip", "configuration": {"level": 1}}))])
                .fill_value_json(json!(-1)),
            Some("2:11, 0:5"),
        ),
        (
            "v3/transpose_big_blosc_u32",
            "zarr3",
            ArrayBuilder::new(vec![5, 6, 7], DataType::UInt32)
                .chunks(vec![2, 3, 4])
                .filters(vec![codec(json!({"name": "transpose", "configuration": {"order": [2, 0, 1]}}))])
                .serializer(codec(json!({"name": "bytes", "configuration": {"endian": "big"}})))
                .compressors(vec![codec(json!({"name": "blosc", "configuration":
                    {"cname": "zstd", "clevel": 3, "shuffle": "bitshuffle", "typesize": 4, "blocksize": 0}}))])
                .dimension_names(vec![Some("z".into()), None, Some("x".into())]),
            None,
        ),
        (
            "v3/bool_crc32c",
            "zarr3",
            ArrayBuilder::new(vec![11], DataType::Bool)
                .chunks(vec![4])
                .compressors(vec![zstd(), codec(json!({"name": "crc32c"}))]),
            None,
        ),
        (
            "v3/complex128",
            "zarr3",
            ArrayBuilder::new(vec![6, 5], DataType::Complex128).chunks(vec![4, 2]),
            None,
        ),
        (
            "v3/f64_nan_fill_partial",
            "zarr3",
            ArrayBuilder::new(vec![9, 9], DataType::Float64)
                .chunks(vec![4, 4])
                .fill_value_json(json!("NaN")),
            Some("0:4, :"),
        ),
        (
            "v2/F_zlib_f64",
            "zarr",
            ArrayBuilder::new(vec![10, 7], DataType::Float64)
                .chunks(vec![4, 3])
                .zarr_format(2)
                .storage_order(Order::F)
                .compressor_v2(Some(
                    json!({"id": "zlib", "level": 1}).as_object().unwrap().clone(),
                )),
            None,
        ),
        (
            "v2/default_i16_partial",
            "zarr",
            ArrayBuilder::new(vec![13], DataType::Int16)
                .chunks(vec![5])
                .zarr_format(2)
                .fill_value_json(json!(3)),
            Some("5:10"),
        ),
        (
            "v2/blosc_u8",
            "zarr",
            ArrayBuilder::new(vec![40, 3], DataType::UInt8)
                .chunks(vec![16, 2])
                .zarr_format(2)
                .compressor_v2(Some(
                    json!({"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1, "blocksize": 0})
                        .as_object()
                        .unwrap()
                        .clone(),
                )),
            None,
        ),
    ];
    let mut manifest = Vec::new();
    for (path, driver, builder, written) in cases {
        let a = builder.create(store.clone(), path).unwrap();
        let dt = a.data_type();
        let shape: Vec<usize> = a.shape().iter().map(|&s| s as usize).collect();
        let sel: Selection = written.unwrap_or(":").parse().unwrap_or(Selection::all());
        let part = sel.resolve(a.shape()).unwrap();
        let n = part.num_elements() as usize;
        let buf =
            NDBuffer::from_parts(part.out_shape(), dt, Order::C, NDData::Fixed(values(dt, n)))
                .unwrap();
        a.write_ndbuffer(&sel, &buf).unwrap();
        // Expected: our own reading (fill where nothing was written), which
        // for whole writes is checked against the input here too.
        let back = a.read_ndbuffer(&Selection::all()).unwrap();
        let NDData::Fixed(bytes) = back.data() else {
            panic!("fixed")
        };
        if written.is_none() {
            assert!(
                *bytes == values(dt, n),
                "{path}: we read back what we wrote"
            );
        }
        let file = format!("{}.bin", path.replace('/', "__"));
        std::fs::write(dir.path().join(&file), bytes).unwrap();
        let numpy = match dt {
            DataType::Bool => "|b1".to_string(),
            DataType::UInt8 => "|u1".to_string(),
            other => format!("<{}", numpy_code(other)),
        };
        assert_eq!(back.shape(), shape.as_slice());
        manifest.push(json!({"path": path, "driver": driver, "expected": file,
                             "dtype": numpy, "shape": shape}));
    }
    std::fs::write(
        dir.path().join("manifest.json"),
        serde_json::to_vec_pretty(&manifest).unwrap(),
    )
    .unwrap();
    let out = common::run_script(&common::python(), PEER, &[Path::new("read"), dir.path()]);
    assert!(out.contains("read 10/10 arrays exactly"), "{out}");
}

fn numpy_code(dt: DataType) -> &'static str {
    match dt {
        DataType::Int16 => "i2",
        DataType::UInt16 => "u2",
        DataType::Int32 => "i4",
        DataType::UInt32 => "u4",
        DataType::Int64 => "i8",
        DataType::Float32 => "f4",
        DataType::Float64 => "f8",
        DataType::Complex128 => "c16",
        other => panic!("no numpy code for {other}"),
    }
}
