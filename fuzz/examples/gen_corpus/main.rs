//! Writes the seed corpus under `fuzz/corpus/<target>/` with the library
//! itself (whose metadata documents are byte for byte zarr-python's):
//!
//! ```text
//! cd fuzz && cargo run --example gen_corpus -- corpus
//! ```
//!
//! (Any build of the `zarr` crate will do: it only needs `src/cases.rs`.)
#![allow(clippy::unwrap_used)]

#[path = "../../src/cases.rs"]
mod cases;

use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zarr::array::ArrayBuilder;
use zarr::buffer::{NDBuffer, NDData, Order};
use zarr::chunk::Selection;
use zarr::codec::IndexLocation;
use zarr::dtype::DataType;
use zarr::group::{consolidate_metadata, Group};
use zarr::metadata::{json as pyjson, CodecMetadata};
use zarr::store::{LocalStore, StoreRef, ZipMode, ZipStore};

fn save(dir: &Path, target: &str, name: &str, bytes: &[u8]) {
    let d = dir.join(target);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join(name), bytes).unwrap();
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn codecs(s: &str) -> Vec<CodecMetadata> {
    serde_json::from_str(s).unwrap()
}

fn attributes() -> Map<String, Value> {
    obj(json!({
        "title": "température — 日本語",
        "floats": [1e-05, 0.1, 1e16, -0.0, 5e-324, 1.7976931348623157e308],
        "ints": [0, -1, 18446744073709551615_u64, -9223372036854775808_i64],
        "nested": {"a": [true, false, null, {}, []]},
        "non_finite": [pyjson::float(f64::NAN), pyjson::float(f64::INFINITY), pyjson::float(f64::NEG_INFINITY)],
        "nan_string": "NaN"
    }))
}

/// A small V3 or V2 hierarchy: a group with attributes, arrays of several
/// data types, fill values and codecs (sharded among them for V3), a nested
/// group, consolidated at the root.
fn hierarchy(store: &StoreRef, fmt: u8) {
    Group::create(store.clone(), "", fmt, attributes(), true).unwrap();
    let sub = Group::create(store.clone(), "sub", fmt, obj(json!({"k": "v"})), true).unwrap();
    drop(sub);
    let arrays: Vec<(&str, ArrayBuilder)> = vec![
        (
            "f8",
            ArrayBuilder::new(vec![5, 4], DataType::Float64)
                .chunks(vec![2, 3])
                .fill_value_json(json!("NaN")),
        ),
        (
            "i2",
            ArrayBuilder::new(vec![7], DataType::Int16)
                .chunks(vec![3])
                .fill_value_json(json!(-7))
                .attributes(attributes()),
        ),
        (
            "s",
            ArrayBuilder::new(vec![3, 3], DataType::String)
                .chunks(vec![2, 2])
                .fill_value_json(json!("é")),
        ),
        (
            "c16",
            ArrayBuilder::new(vec![4], DataType::Complex128)
                .chunks(vec![4])
                .fill_value_json(json!([1e-05, "NaN"])),
        ),
        (
            "sub/b",
            ArrayBuilder::new(vec![10], DataType::Bool)
                .chunks(vec![5])
                .fill_value_json(json!(true)),
        ),
        (
            "u8",
            ArrayBuilder::new(vec![6, 6], DataType::UInt64)
                .chunks(vec![3, 3])
                .fill_value_json(json!(18446744073709551615_u64)),
        ),
    ];
    for (name, b) in arrays {
        b.zarr_format(fmt).create(store.clone(), name).unwrap();
    }
    if fmt == 3 {
        ArrayBuilder::new(vec![8, 8], DataType::UInt8)
            .chunks(vec![2, 2])
            .shards(vec![4, 4])
            .dimension_names(vec![Some("y".into()), None])
            .create(store.clone(), "sharded")
            .unwrap();
        ArrayBuilder::new(vec![8], DataType::Float32)
            .chunks(vec![4])
            .filters(codecs(r#"[{"name":"numcodecs.bitround","configuration":{"keepbits":3}}]"#))
            .compressors(codecs(r#"[{"name":"blosc","configuration":{"cname":"zstd","clevel":3,"shuffle":"bitshuffle","typesize":4,"blocksize":0}},{"name":"crc32c"}]"#))
            .create(store.clone(), "f4")
            .unwrap();
    } else {
        ArrayBuilder::new(vec![8, 3], DataType::Int32)
            .chunks(vec![4, 3])
            .zarr_format(2)
            .storage_order(Order::F)
            .filters_v2(vec![obj(json!({"id": "delta", "dtype": "<i4"}))])
            .compressor_v2(Some(obj(
                json!({"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1, "blocksize": 0}),
            )))
            .create(store.clone(), "fo")
            .unwrap();
    }
    consolidate_metadata(store, "", Some(fmt)).unwrap();
}

/// Every file under `dir` (relative path with `/` turned into `__`, bytes).
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('/', "__");
                // No hidden names in the corpus: `.zgroup` becomes `root.zgroup`.
                let rel = if rel.starts_with('.') {
                    format!("root{rel}")
                } else {
                    rel
                };
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn main() {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "corpus".into()));
    let tmp = tempfile::tempdir().unwrap();

    // Metadata: V3 and V2 hierarchies.
    for fmt in [3u8, 2] {
        let dir = tmp.path().join(format!("v{fmt}"));
        let store: StoreRef = Arc::new(LocalStore::new(&dir, false).unwrap());
        hierarchy(&store, fmt);
        for (name, bytes) in files(&dir) {
            let leaf = name.rsplit("__").next().unwrap().trim_start_matches("root");
            let kind = match leaf {
                "zarr.json" => None,
                ".zarray" => Some(0u8),
                ".zgroup" => Some(1),
                ".zattrs" => Some(2),
                ".zmetadata" => Some(3),
                _ => continue, // chunks
            };
            match kind {
                None => save(&out, "metadata_v3", &name, &bytes),
                Some(k) => {
                    let mut doc = vec![k];
                    doc.extend_from_slice(&bytes);
                    save(&out, "metadata_v2", &name, &doc);
                }
            }
            if name == "zarr.json"
                || leaf == ".zmetadata"
                || leaf == ".zattrs" && name.contains("i2")
            {
                save(&out, "json", &format!("v{fmt}_{name}"), &bytes);
            }
        }
    }
    // Hand-written V3 documents for types and fields the hierarchy lacks.
    let extra = [
        (
            "datetime.json",
            r#"{"shape":[3],"data_type":{"name":"numpy.datetime64","configuration":{"unit":"s","scale_factor":1}},"chunk_grid":{"name":"regular","configuration":{"chunk_shape":[3]}},"chunk_key_encoding":{"name":"v2","configuration":{"separator":"."}},"fill_value":"NaT","codecs":[{"name":"bytes","configuration":{"endian":"little"}}],"attributes":{},"zarr_format":3,"node_type":"array","storage_transformers":[],"ext":{"must_understand":false,"x":1}}"#,
        ),
        (
            "utf32.json",
            r#"{"shape":[2,2],"data_type":{"name":"fixed_length_utf32","configuration":{"length_bytes":8}},"chunk_grid":{"name":"regular","configuration":{"chunk_shape":[1,2]}},"chunk_key_encoding":{"name":"default","configuration":{"separator":"/"}},"fill_value":"ab","codecs":[{"name":"bytes","configuration":{"endian":"big"}}],"attributes":{"a":NaN},"zarr_format":3,"node_type":"array","dimension_names":["x",null]}"#,
        ),
        (
            "struct.json",
            r#"{"shape":[4],"data_type":{"name":"struct","configuration":{"fields":[{"name":"a","data_type":"int32"},{"name":"b","data_type":"float64"}]}},"chunk_grid":{"name":"regular","configuration":{"chunk_shape":[2]}},"chunk_key_encoding":{"name":"default"},"fill_value":{"a":1,"b":"Infinity"},"codecs":[{"name":"bytes","configuration":{"endian":"little"}}],"zarr_format":3,"node_type":"array"}"#,
        ),
        ("group_min.json", r#"{"zarr_format":3,"node_type":"group"}"#),
    ];
    for (name, doc) in extra {
        save(&out, "metadata_v3", name, doc.as_bytes());
        save(&out, "json", name, doc.as_bytes());
    }
    save(&out, "json", "tokens.json", br#"[NaN, -Infinity, Infinity, "NaN", 1e400, -0.0, 1e-7, 12345678901234567890, "\ud83d\ude00\u00e9", {"": null}]"#);

    // Codecs and shards: each case's sample chunk, encoded.
    for (target, list) in [
        ("codec", cases::codec_cases()),
        ("shard", cases::shard_cases()),
    ] {
        for (i, c) in list.iter().enumerate() {
            let chain = c.chain().unwrap();
            let encoded = chain.encode(c.sample(), &c.spec()).unwrap();
            let mut doc = vec![i as u8];
            doc.extend_from_slice(&encoded);
            save(&out, target, &format!("{i:02}"), &doc);
            if target == "shard" {
                // The index alone, with the data range of the shard.
                let inner = chain.resolve(&c.spec()).unwrap();
                let sharding = chain.array_to_bytes().as_sharding().unwrap();
                if chain.bytes_to_bytes().is_empty() {
                    let r = sharding.index_range(&inner, encoded.len() as u64).unwrap();
                    let data = if sharding.index_location() == IndexLocation::Start {
                        r.end..encoded.len() as u64
                    } else {
                        0..r.start
                    };
                    let mut doc = vec![i as u8 | 0x80];
                    doc.extend(data.start.to_le_bytes());
                    doc.extend(data.end.to_le_bytes());
                    doc.extend_from_slice(&encoded[r.start as usize..r.end as usize]);
                    save(&out, target, &format!("{i:02}_index"), &doc);
                }
            }
            // Decoding must give the sample back (checks the case table).
            let back = chain.decode(&encoded, &c.spec()).unwrap();
            if c.lossless {
                assert_eq!(back, c.sample(), "case {i} of {target}");
            }
        }
    }

    // .npy files.
    let npys: Vec<(&str, NDBuffer)> = vec![
        (
            "u1.npy",
            NDBuffer::from_vec(&[5], vec![1u8, 2, 3, 4, 5]).unwrap(),
        ),
        (
            "f8_2d.npy",
            NDBuffer::from_vec(&[2, 3], vec![0.5f64, -1.0, f64::NAN, 1e300, 0.0, -0.0]).unwrap(),
        ),
        (
            "f8_fortran.npy",
            NDBuffer::from_vec(&[3, 2], vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0])
                .unwrap()
                .to_order(Order::F),
        ),
        (
            "i2_scalar.npy",
            NDBuffer::from_vec(&[], vec![-3i16]).unwrap(),
        ),
        (
            "bool.npy",
            NDBuffer::from_vec(&[4], vec![true, false, true, true]).unwrap(),
        ),
        (
            "c8.npy",
            NDBuffer::from_parts(
                vec![2],
                DataType::Complex64,
                Order::C,
                NDData::Fixed(vec![0; 16]),
            )
            .unwrap(),
        ),
        (
            "u3.npy",
            NDBuffer::from_parts(
                vec![2],
                DataType::FixedUtf32(3),
                Order::C,
                NDData::Fixed(
                    [97u32, 98, 0, 0x1F600, 0, 0]
                        .iter()
                        .flat_map(|c| c.to_le_bytes())
                        .collect(),
                ),
            )
            .unwrap(),
        ),
        (
            "s4.npy",
            NDBuffer::from_parts(
                vec![2],
                DataType::FixedBytes(4),
                Order::C,
                NDData::Fixed(b"abcdxy\0\0".to_vec()),
            )
            .unwrap(),
        ),
        (
            "empty.npy",
            NDBuffer::from_vec(&[0, 3], Vec::<i64>::new()).unwrap(),
        ),
    ];
    for (name, b) in npys {
        let mut bytes = Vec::new();
        zarr::npy::write_npy_to(&mut bytes, &b).unwrap();
        save(&out, "npy", name, &bytes);
    }

    // Zip stores written by ZipStore (stored entries; a deflated archive
    // is added by hand from Python's zipfile, see fuzz/README.md).
    for (name, fmt) in [("v3.zip", 3u8), ("v2.zip", 2)] {
        let path = tmp.path().join(name);
        {
            let zip = Arc::new(ZipStore::open(&path, ZipMode::Write).unwrap());
            let store: StoreRef = zip.clone();
            Group::create(store.clone(), "", fmt, obj(json!({"a": 1})), true).unwrap();
            let a = ArrayBuilder::new(vec![4], DataType::Int16)
                .chunks(vec![2])
                .zarr_format(fmt)
                .create(store.clone(), "x")
                .unwrap();
            a.write(
                &Selection::all(),
                ndarray::arr1(&[1i16, 2, 3, 4]).into_dyn().view(),
            )
            .unwrap();
            zip.close().unwrap();
        }
        save(&out, "zip", name, &std::fs::read(&path).unwrap());
    }

    // Selections: ndim, shape, chunk shape (u64 LE each), text.
    let sels: [(&[u64], &[u64], &str); 8] = [
        (&[100, 20, 30], &[10, 7, 30], "0:10, :, -1"),
        (&[10], &[3], "::3"),
        (&[5, 5], &[2, 2], "...,3"),
        (&[5, 5], &[2, 2], "-1,..."),
        (&[7, 8, 9], &[2, 3, 4], "1:6:2,...,::4"),
        (&[4], &[4], ""),
        (&[u64::MAX, 3], &[1 << 40, 2], "-5:,1"),
        (&[9, 9], &[4, 4], "-100:100:7, 2:-2"),
    ];
    for (i, (shape, chunk, text)) in sels.iter().enumerate() {
        let mut doc = vec![shape.len() as u8];
        for d in shape.iter().chain(chunk.iter()) {
            doc.extend(d.to_le_bytes());
        }
        doc.extend_from_slice(text.as_bytes());
        save(&out, "selection", &format!("{i:02}"), &doc);
    }
    eprintln!("corpus written to {}", out.display());
}
