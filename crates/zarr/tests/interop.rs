//! Interoperability with zarr-python 3.4.2, both directions, with zarr-python
//! really running (`tests/interop/generate.py` and `verify.py` at the repo root).
//!
//! The interpreter comes from `ZARR_TEST_PYTHON` (set by `scripts/test.sh`) or
//! `<repo>/.venv/bin/python`; without one these tests fail and say how to
//! make one, rather than pass without checking anything.

#![allow(clippy::unwrap_used)]

mod common;

use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zarr::array::{Array, ArrayBuilder};
use zarr::buffer::{NDBuffer, NDData, Order};
use zarr::chunk::Selection;
use zarr::dtype::{DataType, FillValue};
use zarr::metadata::{ChunkKeyEncodingMetadata, CodecMetadata};
use zarr::store::{LocalStore, StoreRef};

fn run_python(script: &str, dir: &Path) -> String {
    common::run_script(&common::python(), script, &[dir])
}

/// Fixtures written by zarr-python: `ZARR_TEST_FIXTURES` when the test script
/// made them, otherwise generated now into a temporary folder.
fn fixtures() -> (PathBuf, Option<tempfile::TempDir>) {
    if let Ok(p) = std::env::var("ZARR_TEST_FIXTURES") {
        let p = PathBuf::from(p);
        if p.join("manifest.json").exists() {
            return (p, None);
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("fixtures");
    run_python("generate.py", &dir);
    (dir, Some(tmp))
}

fn manifest_entries(dir: &Path) -> Vec<Value> {
    let m: Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    match m {
        Value::Array(a) => a,
        Value::Object(o) => o["arrays"].as_array().unwrap().clone(),
        _ => panic!("bad manifest"),
    }
}

fn b64(s: &str) -> Vec<u8> {
    DataType::Bytes
        .fill_value_from_json(&json!(s))
        .unwrap()
        .as_bytes()
        .to_vec()
}

fn check_entry(dir: &Path, store: &StoreRef, e: &Value) -> Result<(), String> {
    let path = e["path"].as_str().unwrap();
    let a = Array::open(store.clone(), path).map_err(|err| format!("open: {err}"))?;
    let m = a.metadata();
    if m.data_type.name() != e["dtype"].as_str().unwrap() {
        return Err(format!("dtype {} != {}", m.data_type, e["dtype"]));
    }
    let shape: Vec<u64> = serde_json::from_value(e["shape"].clone()).unwrap();
    if m.shape != shape {
        return Err(format!("shape {:?} != {shape:?}", m.shape));
    }
    if let Some(c) = e.get("chunks") {
        let c: Vec<u64> = serde_json::from_value(c.clone()).unwrap();
        if m.chunk_shape() != c.as_slice() {
            return Err(format!("chunks {:?} != {c:?}", m.chunk_shape()));
        }
    }
    if let Some(f) = e.get("fill_value") {
        let want = m
            .data_type
            .fill_value_from_json(f)
            .map_err(|err| err.to_string())?;
        if want != m.fill_value {
            return Err(format!("fill value {:?} != {f}", m.fill_value));
        }
        // We write back exactly what zarr-python wrote.
        if m.data_type.fill_value_to_json(&m.fill_value) != *f {
            return Err(format!(
                "fill value re-encodes as {} instead of {f}",
                m.data_type.fill_value_to_json(&m.fill_value)
            ));
        }
    }
    if let Some(at) = e.get("attributes") {
        if Value::Object(m.attributes.clone()) != *at {
            return Err(format!("attributes {:?} != {at}", m.attributes));
        }
    }
    if let Some(d) = e.get("dimension_names") {
        if serde_json::to_value(&m.dimension_names).unwrap() != *d {
            return Err(format!("dimension names {:?} != {d}", m.dimension_names));
        }
    }
    if let Some(keys) = e.get("chunk_keys") {
        // Every stored chunk key is one our chunk key encoding produces.
        let ours: BTreeSet<String> = zarr::chunk::grid_indices(&a.chunk_grid_shape())
            .map(|c| a.chunk_key(&c))
            .collect();
        for k in keys.as_array().unwrap() {
            let full = format!("{path}/{}", k.as_str().unwrap());
            if !ours.contains(&full) {
                return Err(format!("stored key {full} is not a key we would use"));
            }
        }
    }
    let got = a
        .read_ndbuffer(&Selection::all())
        .map_err(|err| format!("read: {err}"))?;
    if let Some(vals) = e.get("expected_json_values") {
        let want: Vec<Vec<u8>> = vals
            .as_array()
            .unwrap()
            .iter()
            .map(|v| b64(v.as_str().unwrap()))
            .collect();
        return match got.data() {
            NDData::Variable(v) if *v == want => Ok(()),
            other => Err(format!("values differ: {other:?}")),
        };
    }
    let expected = zarr::npy::read_npy(dir.join(e["expected"].as_str().unwrap()))
        .map_err(|err| format!("expected npy: {err}"))?;
    compare(&got, &expected)
}

fn compare(got: &NDBuffer, expected: &NDBuffer) -> Result<(), String> {
    if got.shape() != expected.shape() {
        return Err(format!(
            "read shape {:?} != expected {:?}",
            got.shape(),
            expected.shape()
        ));
    }
    // Bit-for-bit: NaN payloads equal, -0.0 != 0.0.
    if got.data() != expected.data() {
        let (NDData::Fixed(a), NDData::Fixed(b)) = (got.data(), expected.data()) else {
            return Err(format!(
                "values differ: {:?} vs {:?}",
                got.data(),
                expected.data()
            ));
        };
        let size = got.data_type().size().unwrap_or(1);
        let i = a
            .chunks(size)
            .zip(b.chunks(size))
            .position(|(x, y)| x != y)
            .unwrap_or(0);
        return Err(format!(
            "values differ at flat index {i}: {:?} vs {:?}",
            &a[i * size..(i + 1) * size],
            &b[i * size..(i + 1) * size]
        ));
    }
    Ok(())
}

#[test]
fn reads_every_zarr_python_fixture_exactly() {
    let (dir, _tmp) = fixtures();
    let store: StoreRef = Arc::new(LocalStore::new(&dir, true).unwrap());
    let entries = manifest_entries(&dir);
    assert!(entries.len() > 50, "too few fixtures: {}", entries.len());
    let mut failures = Vec::new();
    for e in &entries {
        if let Err(msg) = check_entry(&dir, &store, e) {
            failures.push(format!("{}: {msg}", e["path"]));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures failed:\n{}",
        failures.len(),
        entries.len(),
        failures.join("\n")
    );
}

// ---- Rust writes, zarr-python reads ----

/// Deterministic values of every data type, with NaN, infinities and -0.0 in the floats.
fn values(dt: DataType, n: usize) -> NDData {
    let f = |i: usize| -> f64 {
        match i % 11 {
            3 => f64::NAN,
            5 => -0.0,
            7 => f64::INFINITY,
            9 => f64::NEG_INFINITY,
            _ => (i as f64) * 0.37 - 11.5,
        }
    };
    let mut b = Vec::new();
    for i in 0..n {
        let x = i as i64 * 7919 - 300;
        match dt {
            DataType::Bool => b.push((i % 3 == 0) as u8),
            DataType::Int8 => b.extend((x as i8).to_ne_bytes()),
            DataType::Int16 => b.extend((x as i16).to_ne_bytes()),
            DataType::Int32 => b.extend((x as i32 * 1000).to_ne_bytes()),
            DataType::Int64 => b.extend((x * 1_000_000_007).to_ne_bytes()),
            DataType::UInt8 => b.extend((x as u8).to_ne_bytes()),
            DataType::UInt16 => b.extend((x as u16).to_ne_bytes()),
            DataType::UInt32 => b.extend((x as u32).wrapping_mul(65537).to_ne_bytes()),
            DataType::UInt64 => {
                b.extend((x as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15).to_ne_bytes())
            }
            DataType::Float16 => b.extend(half::f16::from_f64(f(i)).to_ne_bytes()),
            DataType::Float32 => b.extend((f(i) as f32).to_ne_bytes()),
            DataType::Float64 => b.extend(f(i).to_ne_bytes()),
            DataType::Complex64 => {
                b.extend((f(i) as f32).to_ne_bytes());
                b.extend((f(i + 4) as f32).to_ne_bytes());
            }
            DataType::Complex128 => {
                b.extend(f(i).to_ne_bytes());
                b.extend(f(i + 4).to_ne_bytes());
            }
            DataType::String | DataType::Bytes => {}
            _ => unreachable!(),
        }
    }
    match dt {
        DataType::String => NDData::Variable(
            (0..n)
                .map(|i| {
                    [
                        "",
                        "a",
                        "héllo",
                        "中文",
                        "x\u{0}y",
                        "long ".repeat(40).as_str(),
                    ][i % 6]
                        .as_bytes()
                        .to_vec()
                })
                .collect(),
        ),
        DataType::Bytes => NDData::Variable(
            (0..n)
                .map(|i| {
                    [
                        &b""[..],
                        b"\x00\x01",
                        b"abc",
                        b"\xff\x00\xfe\x00",
                        &[7u8; 100],
                    ][i % 5]
                        .to_vec()
                })
                .collect(),
        ),
        _ => NDData::Fixed(b),
    }
}

fn c(v: Value) -> CodecMetadata {
    serde_json::from_value(v).unwrap()
}

struct Case {
    path: String,
    builder: ArrayBuilder,
    /// Write only this part (None: everything).
    write: Option<&'static str>,
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let bytes_le = c(json!({"name": "bytes", "configuration": {"endian": "little"}}));
    let bytes_be = c(json!({"name": "bytes", "configuration": {"endian": "big"}}));
    let compressors: Vec<(&str, Vec<CodecMetadata>)> = vec![
        (
            "default",
            vec![c(
                json!({"name": "zstd", "configuration": {"level": 0, "checksum": false}}),
            )],
        ),
        ("none", vec![]),
        (
            "gzip",
            vec![c(json!({"name": "gzip", "configuration": {"level": 6}}))],
        ),
        (
            "zstd_checksum",
            vec![c(
                json!({"name": "zstd", "configuration": {"level": 5, "checksum": true}}),
            )],
        ),
        (
            "blosc",
            vec![c(
                json!({"name": "blosc", "configuration": {"cname": "lz4", "clevel": 5}}),
            )],
        ),
        ("crc32c", vec![c(json!({"name": "crc32c"}))]),
    ];
    for dt in DataType::ALL {
        for (cname, comp) in &compressors {
            let mut b = ArrayBuilder::new(vec![13, 7], dt)
                .chunks(vec![5, 3])
                .compressors(comp.clone());
            if dt.size().is_some_and(|s| s > 1) && *cname == "gzip" {
                b = b.serializer(bytes_be.clone());
            }
            out.push(Case {
                path: format!("dtypes/{}/{cname}", dt.name()),
                builder: b,
                write: None,
            });
        }
        // Transpose on every type.
        out.push(Case {
            path: format!("dtypes/{}/transpose", dt.name()),
            builder: ArrayBuilder::new(vec![4, 5, 6], dt)
                .chunks(vec![3, 2, 4])
                .filters(vec![c(
                    json!({"name": "transpose", "configuration": {"order": [2, 0, 1]}}),
                )]),
            write: None,
        });
    }
    for cname in ["lz4", "lz4hc", "blosclz", "zstd", "zlib"] {
        for shuffle in ["noshuffle", "shuffle", "bitshuffle"] {
            out.push(Case {
                path: format!("blosc/{cname}/{shuffle}"),
                builder: ArrayBuilder::new(vec![50, 40], DataType::UInt16).chunks(vec![16, 16]).compressors(vec![c(json!({"name": "blosc", "configuration": {"cname": cname, "clevel": 4, "shuffle": shuffle, "typesize": 2, "blocksize": 0}}))]),
                write: None,
            });
        }
    }
    let chain = ArrayBuilder::new(vec![9, 10], DataType::Float64)
        .chunks(vec![4, 4])
        .filters(vec![c(json!({"name": "transpose", "configuration": {"order": [1, 0]}}))])
        .serializer(bytes_be.clone())
        .compressors(vec![c(json!({"name": "blosc", "configuration": {"cname": "zstd", "clevel": 3, "shuffle": "shuffle", "typesize": 8, "blocksize": 0}})), c(json!({"name": "crc32c"}))]);
    out.push(Case {
        path: "chains/transpose_big_blosc_crc".into(),
        builder: chain,
        write: None,
    });
    for (name, fill) in [
        ("nan", json!("NaN")),
        ("inf", json!("Infinity")),
        ("neginf", json!("-Infinity")),
        ("negzero", json!(-0.0)),
        ("hexnan", json!("0x7ff8000000000001")),
    ] {
        out.push(Case {
            path: format!("fill/float64_{name}"),
            builder: ArrayBuilder::new(vec![10, 10], DataType::Float64)
                .chunks(vec![4, 4])
                .fill_value_json(fill),
            write: Some("0:3, 2:9"),
        });
    }
    out.push(Case {
        path: "fill/float32_nan".into(),
        builder: ArrayBuilder::new(vec![10], DataType::Float32)
            .chunks(vec![3])
            .fill_value_json(json!("NaN")),
        write: Some("4:6"),
    });
    out.push(Case {
        path: "fill/int16_min".into(),
        builder: ArrayBuilder::new(vec![10], DataType::Int16)
            .chunks(vec![3])
            .fill_value_json(json!(-32768)),
        write: Some("::4"),
    });
    out.push(Case {
        path: "fill/complex".into(),
        builder: ArrayBuilder::new(vec![6], DataType::Complex64)
            .chunks(vec![4])
            .fill_value_json(json!([1.0, "NaN"])),
        write: Some("0:2"),
    });
    out.push(Case {
        path: "fill/string".into(),
        builder: ArrayBuilder::new(vec![7], DataType::String)
            .chunks(vec![3])
            .fill_value_json(json!("abc")),
        write: Some("1:3"),
    });
    out.push(Case {
        path: "fill/bytes".into(),
        builder: ArrayBuilder::new(vec![7], DataType::Bytes)
            .chunks(vec![3])
            .fill_value_json(json!("eHl6")),
        write: Some("5:"),
    });
    out.push(Case {
        path: "fill/never_written".into(),
        builder: ArrayBuilder::new(vec![4, 4], DataType::UInt8).fill_value_json(json!(9)),
        write: Some("0:0"),
    });
    out.push(Case {
        path: "shapes/zero_d".into(),
        builder: ArrayBuilder::new(vec![], DataType::Float32),
        write: None,
    });
    out.push(Case {
        path: "shapes/zero_d_string".into(),
        builder: ArrayBuilder::new(vec![], DataType::String),
        write: None,
    });
    out.push(Case {
        path: "shapes/zero_length".into(),
        builder: ArrayBuilder::new(vec![0, 5], DataType::Int32).chunks(vec![2, 2]),
        write: None,
    });
    out.push(Case {
        path: "shapes/chunk_larger_than_array".into(),
        builder: ArrayBuilder::new(vec![3, 2], DataType::Int32).chunks(vec![10, 10]),
        write: None,
    });
    out.push(Case {
        path: "shapes/auto_chunks".into(),
        builder: ArrayBuilder::new(vec![300, 200], DataType::UInt16),
        write: None,
    });
    out.push(Case {
        path: "keys/dot".into(),
        builder: ArrayBuilder::new(vec![5, 5], DataType::UInt8)
            .chunks(vec![2, 2])
            .chunk_key_encoding(ChunkKeyEncodingMetadata::Default { separator: '.' }),
        write: None,
    });
    out.push(Case {
        path: "keys/v2".into(),
        builder: ArrayBuilder::new(vec![5, 5], DataType::UInt8)
            .chunks(vec![2, 2])
            .chunk_key_encoding(ChunkKeyEncodingMetadata::V2 { separator: '.' }),
        write: None,
    });
    out.push(Case {
        path: "keys/v2_slash".into(),
        builder: ArrayBuilder::new(vec![5, 5], DataType::UInt8)
            .chunks(vec![2, 2])
            .chunk_key_encoding(ChunkKeyEncodingMetadata::V2 { separator: '/' }),
        write: None,
    });
    out.push(Case {
        path: "meta/attrs".into(),
        builder: ArrayBuilder::new(vec![4], DataType::Int64)
            .attribute("units", json!("K"))
            .attribute("nested", json!({"a": [1, 2.5, null, true]}))
            .dimension_names(vec![Some("time".into())])
            .serializer(bytes_le),
        write: None,
    });
    // numcodecs' codecs under their V3 names (zarr.codecs.numcodecs).
    let numcodecs: Vec<(&str, DataType, Vec<Value>, Vec<Value>)> = vec![
        (
            "gzip",
            DataType::Int32,
            vec![],
            vec![json!({"name": "numcodecs.gzip", "configuration": {"level": 3}})],
        ),
        (
            "zstd",
            DataType::Float64,
            vec![],
            vec![
                json!({"name": "numcodecs.zstd", "configuration": {"level": 1, "checksum": true}}),
            ],
        ),
        (
            "blosc",
            DataType::UInt16,
            vec![],
            vec![json!({"name": "numcodecs.blosc",
                        "configuration": {"cname": "zstd", "clevel": 3, "shuffle": 2, "blocksize": 0}})],
        ),
        (
            "blosc_default",
            DataType::Int64,
            vec![],
            vec![json!({"name": "numcodecs.blosc", "configuration": {}})],
        ),
        (
            "jenkins_lookup3",
            DataType::Int16,
            vec![],
            vec![json!({"name": "numcodecs.jenkins_lookup3", "configuration": {"initval": 3}})],
        ),
        (
            "packbits",
            DataType::Bool,
            vec![json!({"name": "numcodecs.packbits", "configuration": {}})],
            vec![json!({"name": "zstd", "configuration": {"level": 0, "checksum": false}})],
        ),
        (
            "bitround",
            DataType::Float32,
            vec![json!({"name": "numcodecs.bitround", "configuration": {"keepbits": 5}})],
            vec![],
        ),
    ];
    for (name, dt, filters, compressors) in numcodecs {
        out.push(Case {
            path: format!("numcodecs/{name}"),
            builder: ArrayBuilder::new(vec![13, 7], dt)
                .chunks(vec![5, 3])
                .filters(filters.into_iter().map(c).collect())
                .compressors(compressors.into_iter().map(c).collect()),
            // Written whole, then read back: bitround is lossy, so the
            // expected values are what we stored (its rounding is checked
            // against numcodecs' in its unit test).
            write: Some(":, :"),
        });
    }
    out.push(Case {
        path: "empty/write_empty".into(),
        builder: ArrayBuilder::new(vec![8], DataType::Int8)
            .chunks(vec![4])
            .write_empty_chunks(true),
        write: None,
    });
    out
}

#[test]
fn zarr_python_reads_what_we_write() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let store: StoreRef = Arc::new(LocalStore::new(dir, false).unwrap());
    let mut manifest = Vec::new();
    std::fs::create_dir_all(dir.join("expected")).unwrap();
    for case in cases() {
        let a = case.builder.create(store.clone(), &case.path).unwrap();
        let m = a.metadata().clone();
        let shape: Vec<usize> = m.shape.iter().map(|&s| s as usize).collect();
        let n: usize = shape.iter().product();
        // Expected: everything (or the written part) from `values`, fill elsewhere.
        let full =
            NDBuffer::from_parts(shape.clone(), m.data_type, Order::C, values(m.data_type, n))
                .unwrap();
        let expected = match case.write {
            None => {
                a.write_ndbuffer(&Selection::all(), &full).unwrap();
                full
            }
            Some(sel) => {
                let sel: Selection = sel.parse().unwrap();
                let part = sel.resolve(&m.shape).unwrap();
                let vals = values(m.data_type, part.num_elements() as usize);
                let buf =
                    NDBuffer::from_parts(part.out_shape(), m.data_type, Order::C, vals).unwrap();
                a.write_ndbuffer(&sel, &buf).unwrap();
                a.read_ndbuffer(&Selection::all()).unwrap()
            }
        };
        let name = case.path.replace('/', "__");
        let mut entry = json!({
            "path": case.path,
            "dtype": m.data_type.name(),
            "shape": m.shape,
            "chunks": m.chunk_shape(),
            "fill_value": m.data_type.fill_value_to_json(&m.fill_value),
            "attributes": m.attributes,
        });
        if let Some(d) = &m.dimension_names {
            entry["dimension_names"] = json!(d);
        }
        if m.data_type == DataType::Bytes {
            let NDData::Variable(v) = expected.data() else {
                unreachable!()
            };
            entry["expected_json_values"] = json!(v
                .iter()
                .map(|b| DataType::Bytes.fill_value_to_json(&FillValue::new(b.clone())))
                .collect::<Vec<_>>());
        } else {
            let file = format!("expected/{name}.npy");
            zarr::npy::write_npy(dir.join(&file), &expected).unwrap();
            entry["expected"] = json!(file);
        }
        manifest.push(entry);
    }
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_vec_pretty(&json!({"format": 1, "arrays": manifest})).unwrap(),
    )
    .unwrap();
    let report = run_python("verify.py", dir);
    println!("{report}");
    // And our own reader agrees with what we wrote.
    for e in manifest_entries(dir) {
        check_entry(dir, &store, &e).unwrap_or_else(|m| panic!("{}: {m}", e["path"]));
    }
}
