//! Zarr V2 arrays: zarr-python 3.4.2 fixtures read exactly and written back
//! so that zarr-python writes the same documents and reads the same values
//! (`tests/interop/v2_generate.py`, `v2_verify.py`), plus pure-Rust round
//! trips and bad input.
//!
//! The Python parts need `ZARR_TEST_PYTHON` (an interpreter with zarr-python
//! 3.4.2); without it they print a note and check only the Rust side.

#![allow(clippy::unwrap_used)]

mod common;

use serde_json::{json, Map, Value};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use zarr::array::{
    consolidate_metadata_v2, convert_v2_to_v3, convert_v2_to_v3_with,
    read_consolidated_metadata_v2, Array, ArrayBuilder, AsyncArray, ConvertOptions,
};
use zarr::buffer::{NDData, Order};
use zarr::chunk::Selection;
use zarr::dtype::DataType;
use zarr::metadata::{ArrayMetadataV2, ChunkKeyEncodingMetadata, GroupMetadataV2};
use zarr::store::{LocalStore, MemoryStore, Store, StoreRef, SyncToAsync};

fn run_python(py: &Path, script: &str, args: &[&Path]) -> String {
    common::run_script(py, script, args)
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

/// A builder reproducing a V2 array's metadata.
fn builder_like(m: &ArrayMetadataV2) -> ArrayBuilder {
    let mut b = ArrayBuilder::new(m.shape.clone(), m.data_type)
        .chunks(m.chunks.clone())
        .zarr_format(2)
        .fill_value_json(m.fill_value.clone())
        .storage_order(m.order)
        .compressor_v2(m.compressor.clone())
        .chunk_key_encoding(ChunkKeyEncodingMetadata::V2 {
            separator: m.separator(),
        })
        .attributes(m.attributes.clone());
    if let Some(e) = m.endian {
        b = b.endian_v2(e);
    }
    if let Some(f) = &m.filters {
        b = b.filters_v2(f.clone());
    }
    b
}

fn check_values(a: &Array, dir: &Path, name: &str) {
    let nd = a.read_ndbuffer(&Selection::all()).unwrap();
    match nd.data() {
        NDData::Fixed(bytes) => {
            let expected = std::fs::read(dir.join(format!("{name}.bin"))).unwrap();
            const { assert!(cfg!(target_endian = "little")) };
            assert!(bytes == &expected, "{name}: values differ");
        }
        NDData::Variable(v) => {
            let expected: Vec<String> =
                serde_json::from_slice(&std::fs::read(dir.join(format!("{name}.json"))).unwrap())
                    .unwrap();
            let expected: Vec<Vec<u8>> = expected
                .iter()
                .map(|s| {
                    if a.data_type() == DataType::Bytes {
                        s.chars().map(|c| c as u32 as u8).collect()
                    } else {
                        s.as_bytes().to_vec()
                    }
                })
                .collect();
            assert_eq!(v, &expected, "{name}: values differ");
        }
        _ => panic!("unexpected buffer"),
    }
}

#[test]
fn zarr_python_v2_both_directions() {
    let py = common::python();
    both_directions(&py, Some(&py));
}

/// The same with zarr-python 2.18 (`ZARR_TEST_PYTHON2`: an interpreter with
/// zarr 2.18 and a compatible numcodecs); the converted V3 arrays are read
/// with zarr-python 3.4.2 when `ZARR_TEST_PYTHON` is set too.
#[test]
fn zarr_python_2_18_v2_both_directions() {
    let Some(py2) = common::python2() else {
        return;
    };
    let py3 = std::env::var("ZARR_TEST_PYTHON")
        .ok()
        .filter(|p| !p.is_empty());
    both_directions(Path::new(&py2), py3.as_deref().map(Path::new));
}

fn both_directions(py: &Path, py3: Option<&Path>) {
    let tmp = tempfile::tempdir().unwrap();
    let fix = tmp.path().join("fixtures");
    let ours = tmp.path().join("ours");
    run_python(py, "v2_generate.py", &[&fix]);
    let names: Vec<String> =
        serde_json::from_slice(&std::fs::read(fix.join("manifest.json")).unwrap()).unwrap();
    assert!(names.len() > 100, "{}", names.len());
    let store: StoreRef = Arc::new(LocalStore::new(&fix, true).unwrap());
    let out: StoreRef = Arc::new(LocalStore::new(&ours, false).unwrap());
    for name in &names {
        let a = Array::open(store.clone(), name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(a.zarr_format(), 2);
        // The documents parse and are written back exactly.
        let zarray: Value =
            serde_json::from_slice(&std::fs::read(fix.join(name).join(".zarray")).unwrap())
                .unwrap();
        let m = a.metadata_v2().unwrap();
        assert_eq!(m.to_json(), zarray, "{name}");
        check_values(&a, &fix, name);
        // Write the same array through the builder.
        let b = builder_like(m)
            .create(out.clone(), name)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        b.write_ndbuffer(
            &Selection::all(),
            &a.read_ndbuffer(&Selection::all()).unwrap(),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        // And it reads back.
        check_values(&Array::open(out.clone(), name).unwrap(), &fix, name);
    }
    let text = run_python(py, "v2_verify.py", &[&fix, &ours]);
    assert!(
        text.contains(&format!("{n} of {n} ok", n = names.len())),
        "{text}"
    );

    // Converted to V3 (metadata only, chunks copied): same values, read by
    // us and by zarr-python.
    let conv = tmp.path().join("converted");
    let cstore: StoreRef = Arc::new(LocalStore::new(&conv, false).unwrap());
    for name in &names {
        let s = convert_v2_to_v3(&store, name, &cstore, name, false)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(s.arrays, 1);
        assert_eq!(
            s.reencoded,
            usize::from(name.contains("quantize_f4_f2") || name.contains("categorize")),
            "{name}"
        );
        let a = Array::open(cstore.clone(), name).unwrap();
        assert_eq!(a.zarr_format(), 3);
        check_values(&a, &fix, name);
    }
    let Some(py3) = py3 else { return };
    let script = r#"
import json, os, sys, warnings
import numpy as np
import zarr
warnings.simplefilter("ignore")
fix, conv = sys.argv[1], sys.argv[2]
bad = []
for name in json.load(open(os.path.join(fix, "manifest.json"))):
    try:
        a = zarr.open_array(os.path.join(fix, name), mode="r")
        x = a[...]
    except Exception as e:
        # zarr-python 3 cannot read some zarr-python 2 fixtures (object
        # arrays with fill value 0); the Rust side checked those values.
        print(f"skipped {name}: zarr-python 3 cannot read the fixture: {e}")
        continue
    try:
        b = zarr.open_array(os.path.join(conv, name), mode="r", zarr_format=3)
        y = b[...]
        same = x.shape == y.shape and np.array_equal(x, y, equal_nan=x.dtype.kind in "fcmM")
        if not same or dict(a.attrs) != dict(b.attrs):
            bad.append(f"{name}: differs")
    except Exception as e:
        bad.append(f"{name}: {type(e).__name__}: {e}")
print("\n".join(bad))
print("BAD" if bad else "ALL OK")
"#;
    let out = Command::new(py3)
        .args(["-c", script, fix.to_str().unwrap(), conv.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("ALL OK"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn default_v2_metadata_matches_zarr_python() {
    let store: StoreRef = Arc::new(MemoryStore::new());
    ArrayBuilder::new(vec![10, 7], DataType::Int32)
        .chunks(vec![4, 3])
        .zarr_format(2)
        .create(store.clone(), "a")
        .unwrap();
    let z: Value = serde_json::from_slice(
        &store
            .get("a/.zarray", &Default::default(), None)
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        z,
        json!({"shape": [10, 7], "chunks": [4, 3], "dtype": "<i4", "fill_value": 0, "order": "C",
               "filters": null, "dimension_separator": ".", "compressor": {"id": "zstd", "level": 0},
               "zarr_format": 2})
    );
    let zattrs = store
        .get("a/.zattrs", &Default::default(), None)
        .unwrap()
        .unwrap();
    assert_eq!(&zattrs[..], b"{}");
    assert!(!store.exists("zarr.json").unwrap());
    ArrayBuilder::new(vec![3], DataType::String)
        .zarr_format(2)
        .create(store.clone(), "s")
        .unwrap();
    let z: Value = serde_json::from_slice(
        &store
            .get("s/.zarray", &Default::default(), None)
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(z["dtype"], "|O");
    assert_eq!(z["fill_value"], "");
    assert_eq!(z["filters"], json!([{"id": "vlen-utf8"}]));
    // An existing node is refused without overwrite.
    assert!(ArrayBuilder::new(vec![3], DataType::UInt8)
        .zarr_format(2)
        .create(store.clone(), "s")
        .is_err());
    assert!(ArrayBuilder::new(vec![3], DataType::UInt8)
        .zarr_format(2)
        .overwrite(true)
        .create(store.clone(), "s")
        .is_ok());
}

fn codec_cases() -> Vec<(Option<Value>, Option<Value>)> {
    vec![
        (None, None),
        (Some(json!({"id": "zlib", "level": 9})), None),
        (Some(json!({"id": "gzip", "level": 1})), None),
        (
            Some(json!({"id": "zstd", "level": 5, "checksum": true})),
            None,
        ),
        (Some(json!({"id": "lz4", "acceleration": 1})), None),
        (
            Some(
                json!({"id": "blosc", "cname": "zstd", "clevel": 5, "shuffle": -1, "blocksize": 0}),
            ),
            None,
        ),
        (
            Some(json!({"id": "zlib", "level": 1})),
            Some(
                json!([{"id": "delta", "dtype": "<f8", "astype": "<f8"}, {"id": "shuffle", "elementsize": 8}]),
            ),
        ),
        (
            None,
            Some(
                json!([{"id": "fixedscaleoffset", "scale": 2, "offset": 0, "dtype": "<f8", "astype": "<i4"}]),
            ),
        ),
        (
            None,
            Some(json!([{"id": "astype", "encode_dtype": "<f4", "decode_dtype": "<f8"}])),
        ),
        (Some(json!({"id": "bz2", "level": 9})), None),
        (
            Some(json!({"id": "lzma", "format": 1, "check": -1, "preset": null, "filters": null})),
            Some(json!([{"id": "crc32"}])),
        ),
        (
            Some(json!({"id": "lzma", "format": 2, "check": -1, "preset": 1, "filters": null})),
            Some(json!([{"id": "adler32", "location": "end"}])),
        ),
        (
            Some(json!({"id": "zlib", "level": 1})),
            Some(json!([{"id": "fletcher32"}])),
        ),
    ]
}

#[test]
fn rust_round_trips_every_codec_and_order() {
    let data: Vec<f64> = (0..60).map(|i| i as f64 * 0.5 - 7.0).collect();
    for (i, (comp, filters)) in codec_cases().into_iter().enumerate() {
        for order in [Order::C, Order::F] {
            for sep in ['.', '/'] {
                let store: StoreRef = Arc::new(MemoryStore::new());
                let mut b = ArrayBuilder::new(vec![6, 10], DataType::Float64)
                    .chunks(vec![4, 3])
                    .zarr_format(2)
                    .storage_order(order)
                    .chunk_key_encoding(ChunkKeyEncodingMetadata::V2 { separator: sep })
                    .compressor_v2(comp.clone().map(obj))
                    .fill_value_json(Value::Null);
                if let Some(f) = &filters {
                    b = b.filters_v2(
                        f.as_array()
                            .unwrap()
                            .iter()
                            .map(|v| obj(v.clone()))
                            .collect(),
                    );
                }
                let a = b
                    .create(store.clone(), "x")
                    .unwrap_or_else(|e| panic!("case {i}: {e}"));
                a.write_slice(&Selection::all(), &data).unwrap();
                assert!(store.exists(&format!("x/1{sep}3")).unwrap(), "case {i}");
                let back = Array::open(store.clone(), "x").unwrap();
                assert_eq!(back.metadata_v2().unwrap().fill_value, Value::Null);
                assert_eq!(
                    back.read_vec::<f64>(&Selection::all()).unwrap(),
                    data,
                    "case {i} {order:?}"
                );
                let part = back
                    .read_vec::<f64>(&"1:5, 2:9:3".parse().unwrap())
                    .unwrap();
                let expected: Vec<f64> = (1..5)
                    .flat_map(|r| [2, 5, 8].map(|c| data[r * 10 + c]))
                    .collect();
                assert_eq!(part, expected);
            }
        }
    }
}

#[test]
fn async_v2() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let astore = Arc::new(SyncToAsync::new(store.clone()));
        let b = ArrayBuilder::new(vec![5, 4], DataType::UInt16)
            .chunks(vec![2, 3])
            .zarr_format(2)
            .storage_order(Order::F)
            .endian_v2(zarr::codec::Endian::Big);
        let mut a = AsyncArray::create(&b, astore.clone(), "g/a").await.unwrap();
        assert_eq!(a.zarr_format(), 2);
        let v: Vec<u16> = (0..20).collect();
        a.write_slice(&Selection::all(), v.clone()).await.unwrap();
        a.set_attributes(obj(json!({"k": 1}))).await.unwrap();
        a.resize(vec![6, 4]).await.unwrap();
        let sync = Array::open(store.clone(), "g/a").unwrap();
        assert_eq!(sync.shape(), &[6, 4]);
        assert_eq!(sync.attributes()["k"], 1);
        assert_eq!(sync.metadata_v2().unwrap().dtype, ">u2");
        let back = AsyncArray::open(astore, "g/a").await.unwrap();
        let got = back.read_vec::<u16>(&"0:5".parse().unwrap()).await.unwrap();
        assert_eq!(got, v);
    });
}

fn open_with(zarray: Value) -> String {
    let store: StoreRef = Arc::new(MemoryStore::new());
    store
        .set("a/.zarray", serde_json::to_vec(&zarray).unwrap().into())
        .unwrap();
    match Array::open(store, "a") {
        Ok(_) => String::new(),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_v2_input() {
    let good = json!({"shape": [4], "chunks": [2], "dtype": "<i4", "fill_value": 0, "order": "C",
                      "filters": null, "dimension_separator": ".", "compressor": null, "zarr_format": 2});
    assert_eq!(open_with(good.clone()), "");
    let mut cases: Vec<(Value, &str)> = Vec::new();
    for k in [
        "shape",
        "chunks",
        "dtype",
        "compressor",
        "fill_value",
        "order",
    ] {
        let mut v = good.clone();
        v.as_object_mut().unwrap().remove(k);
        cases.push((v, k));
    }
    for (k, bad, needle) in [
        ("dtype", json!("<i3"), "<i3"),
        ("dtype", json!("<M8[xs]"), "<M8[xs]"),
        ("dtype", json!("|M8[s]"), "|M8[s]"),
        ("fill_value", json!("NaTX"), "fill_value"),
        ("dtype", json!(7), "dtype"),
        ("shape", json!([-4]), "shape"),
        ("chunks", json!([0]), "chunks"),
        ("fill_value", json!("abc"), "fill_value"),
        ("order", json!("X"), "order"),
        ("compressor", json!({"id": "nosuchcodec"}), "nosuchcodec"),
        ("compressor", json!({"level": 1}), "compressor"),
        ("compressor", json!({"id": "zlib", "level": 99}), "level"),
        ("filters", json!([{"id": "frobnicate"}]), "frobnicate"),
        ("filters", json!("x"), "filters"),
        ("zarr_format", json!(1), "zarr_format"),
    ] {
        let mut v = good.clone();
        v[k] = bad;
        cases.push((v, needle));
    }
    for (v, needle) in cases {
        let e = open_with(v.clone());
        assert!(e.contains(needle), "{v}: {e:?} should mention {needle}");
    }
    let store: StoreRef = Arc::new(MemoryStore::new());
    store
        .set("a/.zarray", b"{not json".to_vec().into())
        .unwrap();
    assert!(Array::open(store.clone(), "a").is_err());
    store
        .set("g/.zgroup", b"{\"zarr_format\": 2}".to_vec().into())
        .unwrap();
    assert!(Array::open(store, "g").is_err());
    // Corrupt chunks are errors, not panics.
    let store: StoreRef = Arc::new(MemoryStore::new());
    let a = ArrayBuilder::new(vec![4], DataType::Int32)
        .chunks(vec![2])
        .zarr_format(2)
        .compressor_v2(Some(obj(json!({"id": "lz4", "acceleration": 1}))))
        .create(store.clone(), "a")
        .unwrap();
    store.set("a/0", vec![200, 0, 0, 0, 1, 2].into()).unwrap();
    assert!(a.read_vec::<i32>(&Selection::all()).is_err());
}

/// `|S{n}` and `<U{n}` are also V3 data types (`null_terminated_bytes`,
/// `fixed_length_utf32`), written as zarr-python 3.4.2 writes them.
#[test]
fn fixed_length_types_in_v3() {
    let tmp = tempfile::tempdir().unwrap();
    let store: StoreRef = Arc::new(LocalStore::new(tmp.path(), false).unwrap());
    let s = ArrayBuilder::new(vec![4], DataType::FixedBytes(3))
        .chunks(vec![2])
        .fill_value_json(json!("YWI="))
        .create(store.clone(), "s")
        .unwrap();
    s.write_bytes(&Selection::all(), b"abcx\0\0\0\0\0\x01\x02\x03")
        .unwrap();
    let u = ArrayBuilder::new(vec![3], DataType::FixedUtf32(2))
        .chunks(vec![2])
        .fill_value_json(json!("hé"))
        .create(store.clone(), "u")
        .unwrap();
    let text: Vec<u8> = "a\0é🌍xy"
        .chars()
        .flat_map(|c| (c as u32).to_ne_bytes())
        .collect();
    u.write_bytes(&Selection::all(), &text).unwrap();
    let doc = |p: &str| -> Value {
        serde_json::from_slice(&std::fs::read(tmp.path().join(p).join("zarr.json")).unwrap())
            .unwrap()
    };
    assert_eq!(
        doc("s")["data_type"],
        json!({"name": "null_terminated_bytes", "configuration": {"length_bytes": 3}})
    );
    assert_eq!(doc("s")["fill_value"], json!("YWI="));
    assert_eq!(doc("s")["codecs"][0], json!({"name": "bytes"}));
    assert_eq!(
        doc("u")["data_type"],
        json!({"name": "fixed_length_utf32", "configuration": {"length_bytes": 8}})
    );
    assert_eq!(doc("u")["fill_value"], json!("hé"));
    let back = Array::open(store.clone(), "u").unwrap();
    assert_eq!(back.data_type(), DataType::FixedUtf32(2));
    let py = common::python();
    let script = r#"
import sys, zarr, numpy as np
d = sys.argv[1]
s = zarr.open_array(d + "/s", mode="r")[...]
u = zarr.open_array(d + "/u", mode="r")[...]
assert s.tolist() == [b"abc", b"x", b"", b"\x01\x02\x03"], s
assert u.tolist() == ["a", "é🌍", "xy"], u
print("OK")
"#;
    let out = Command::new(py)
        .args(["-c", script, tmp.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("OK"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn convert_hierarchy_in_place_and_to_another_store() {
    let store: StoreRef = Arc::new(MemoryStore::new());
    store
        .set(".zgroup", b"{\"zarr_format\": 2}".to_vec().into())
        .unwrap();
    store
        .set(".zattrs", b"{\"title\": \"t\"}".to_vec().into())
        .unwrap();
    store
        .set("g/.zgroup", b"{\"zarr_format\": 2}".to_vec().into())
        .unwrap();
    let a = ArrayBuilder::new(vec![3, 4], DataType::Float32)
        .chunks(vec![2, 2])
        .zarr_format(2)
        .storage_order(Order::F)
        .attribute("u", json!("m"))
        .create(store.clone(), "g/a")
        .unwrap();
    let v: Vec<f32> = (0..12).map(|i| i as f32).collect();
    a.write_slice(&Selection::all(), &v).unwrap();
    // To another store: chunks copied.
    let other: StoreRef = Arc::new(MemoryStore::new());
    let s = convert_v2_to_v3(&store, "", &other, "", false).unwrap();
    assert_eq!((s.arrays, s.groups, s.chunks_copied), (1, 2, 4));
    let b = Array::open(other.clone(), "g/a").unwrap();
    assert_eq!(b.read_vec::<f32>(&Selection::all()).unwrap(), v);
    assert_eq!(b.attributes()["u"], "m");
    assert!(other.exists("g/zarr.json").unwrap());
    assert!(!other.exists(".zgroup").unwrap());
    // Again: refused without overwrite.
    assert!(convert_v2_to_v3(&store, "", &other, "", false).is_err());
    // A dry run in place: the steps, nothing written.
    let keys = store.list_prefix("").unwrap();
    let dry = ConvertOptions::new().dry_run(true);
    let plan = convert_v2_to_v3_with(&store, "", &store, "", &dry).unwrap();
    assert_eq!(store.list_prefix("").unwrap(), keys);
    let lines: Vec<String> = plan.steps.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        lines,
        [
            "group /: write zarr.json",
            "group g: write zarr.json",
            "array g/a: write zarr.json (metadata only, chunks stay)",
            "g/a: keep the V2 documents .zarray, .zattrs",
            "g: keep the V2 documents .zgroup",
            "/: keep the V2 documents .zgroup, .zattrs",
        ],
        "{plan:?}"
    );
    // In place: the V2 documents stay beside the V3 ones (V2 readers
    // still see the hierarchy), the chunks stay.
    let s = convert_v2_to_v3(&store, "", &store, "", false).unwrap();
    assert_eq!((s.chunks_copied, s.v2_documents_kept), (0, 5));
    assert!(store.exists("g/a/.zarray").unwrap() && store.exists("g/a/zarr.json").unwrap());
    let v2_only: StoreRef = Arc::new(MemoryStore::new());
    for k in store.list_prefix("").unwrap() {
        if !k.ends_with("zarr.json") {
            let b = store.get(&k, &Default::default(), None).unwrap().unwrap();
            v2_only.set(&k, b).unwrap();
        }
    }
    let v2_view = Array::open(v2_only, "g/a").unwrap();
    assert_eq!(v2_view.zarr_format(), 2);
    assert_eq!(v2_view.read_vec::<f32>(&Selection::all()).unwrap(), v);
    // Again, removing them: what is there is what this conversion writes,
    // so no --overwrite is needed; a dry run says what goes.
    let rm = ConvertOptions::new().remove_v2(true);
    let plan = convert_v2_to_v3_with(&store, "", &store, "", &rm.clone().dry_run(true)).unwrap();
    assert_eq!(plan.v2_keys_removed, 5);
    assert!(store.exists("g/a/.zarray").unwrap());
    let s = convert_v2_to_v3_with(&store, "", &store, "", &rm).unwrap();
    assert_eq!((s.v2_keys_removed, s.v2_documents_kept), (5, 0));
    assert!(!store.exists("g/a/.zarray").unwrap());
    assert!(!store.exists(".zgroup").unwrap());
    assert!(!store.exists(".zattrs").unwrap());
    let root: Value = serde_json::from_slice(
        &store
            .get("zarr.json", &Default::default(), None)
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(root["attributes"]["title"], "t");
    let c = Array::open(store.clone(), "g/a").unwrap();
    assert_eq!(c.zarr_format(), 3);
    assert_eq!(c.read_vec::<f32>(&Selection::all()).unwrap(), v);
    // Nothing V2 at a path: a clear error.
    assert!(convert_v2_to_v3(&store, "nothing", &other, "x", false).is_err());
}

#[test]
fn consolidated_metadata_both_directions() {
    let tmp = tempfile::tempdir().unwrap();
    let ours = tmp.path().join("ours");
    let store: StoreRef = Arc::new(LocalStore::new(&ours, false).unwrap());
    store
        .set(".zgroup", b"{\"zarr_format\": 2}".to_vec().into())
        .unwrap();
    store
        .set("sub/.zgroup", b"{\"zarr_format\": 2}".to_vec().into())
        .unwrap();
    let a = ArrayBuilder::new(vec![5], DataType::Int16)
        .chunks(vec![2])
        .zarr_format(2)
        .attribute("k", json!(1))
        .create(store.clone(), "sub/a")
        .unwrap();
    a.write_slice(&Selection::all(), &[1i16, 2, 3, 4, 5])
        .unwrap();
    assert_eq!(consolidate_metadata_v2(&store, "").unwrap(), 4);
    let m = read_consolidated_metadata_v2(&store, "").unwrap().unwrap();
    assert_eq!(m["sub/a/.zattrs"], json!({"k": 1}));
    assert!(consolidate_metadata_v2(&store, "sub/a").is_err());
    assert!(read_consolidated_metadata_v2(&store, "sub")
        .unwrap()
        .is_none());
    store
        .set(".zmetadata", b"{\"metadata\": 1}".to_vec().into())
        .unwrap();
    assert!(read_consolidated_metadata_v2(&store, "").is_err());
    consolidate_metadata_v2(&store, "").unwrap();

    let py = common::python();
    let theirs = tmp.path().join("theirs");
    let script = r#"
import sys, warnings
import numpy as np
import zarr
warnings.simplefilter("ignore")
ours, theirs = sys.argv[1], sys.argv[2]
g = zarr.open_consolidated(ours, zarr_format=2)
assert g["sub/a"][...].tolist() == [1, 2, 3, 4, 5]
assert dict(g["sub/a"].attrs) == {"k": 1}
assert sorted(g.group_keys()) == ["sub"], list(g.group_keys())
h = zarr.open_group(theirs, mode="w", zarr_format=2)
h.attrs["t"] = "x"
h.create_array("b", shape=(3,), dtype=">f8", chunks=(2,))[:] = [1.5, 2.5, 3.5]
h.create_group("c").create_array("d", shape=(2,), dtype="|u1", chunks=(2,), attributes={"y": 2})
zarr.consolidate_metadata(theirs)
print("OK")
"#;
    let out = Command::new(&py)
        .args([
            "-c",
            script,
            ours.to_str().unwrap(),
            theirs.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("OK"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs_store: StoreRef = Arc::new(LocalStore::new(&theirs, true).unwrap());
    let m = read_consolidated_metadata_v2(&theirs_store, "")
        .unwrap()
        .unwrap();
    assert_eq!(m[".zattrs"], json!({"t": "x"}));
    for (k, v) in &m {
        let file: Value = serde_json::from_slice(&std::fs::read(theirs.join(k)).unwrap()).unwrap();
        if k.ends_with(".zgroup") {
            // zarr-python adds a `consolidated_metadata` field to subgroups.
            assert_eq!(file["zarr_format"], v["zarr_format"], "{k}");
            GroupMetadataV2::from_json_bytes(&serde_json::to_vec(v).unwrap(), None).unwrap();
        } else {
            assert_eq!(&file, v, "{k}");
        }
    }
    let b = ArrayMetadataV2::from_json(&m["b/.zarray"]).unwrap();
    assert_eq!(b.dtype, ">f8");
    let arr = Array::open(theirs_store, "b").unwrap();
    assert_eq!(
        arr.read_vec::<f64>(&Selection::all()).unwrap(),
        vec![1.5, 2.5, 3.5]
    );
}
