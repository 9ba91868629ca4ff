//! The `scale_offset` and `cast_value` codecs against zarr-python 3.4.2 and
//! cast-value-rs 0.5.1 (the casting library zarr-python's `cast_value` uses),
//! really run:
//!
//! - every element cast of every source/target pair of the eleven numeric
//!   types, under each rounding mode and out-of-range mode, on edge values
//!   (ties, ranges, subnormals, NaN payloads, infinities) and random ones,
//!   gives the bits cast-value-rs gives, or an error where it errs;
//! - `scale_offset` encodes and decodes every element as zarr-python's own
//!   `_encode` / `_decode` do, errors included;
//! - arrays zarr-python writes with these codecs (alone and packed together,
//!   compressed, with partial edge chunks and missing chunks) read here as
//!   zarr-python reads them; the same arrays written here read in
//!   zarr-python as they read here; and our `zarr.json` is byte for byte
//!   zarr-python's.

#![allow(clippy::unwrap_used)]

mod common;

use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use zarr::array::{Array, ArrayBuilder};
use zarr::chunk::Selection;
use zarr::codec::{
    ArrayBytes, ArrayToArrayCodec, CastValueCodec, ChunkSpec, OutOfRange, Rounding,
    ScaleOffsetCodec,
};
use zarr::dtype::{DataType, FillValue};
use zarr::metadata::CodecMetadata;
use zarr::store::{LocalStore, StoreRef};

fn bits_to_bytes(bits: u64, size: usize) -> Vec<u8> {
    match size {
        1 => vec![bits as u8],
        2 => (bits as u16).to_ne_bytes().to_vec(),
        4 => (bits as u32).to_ne_bytes().to_vec(),
        _ => bits.to_ne_bytes().to_vec(),
    }
}

fn bytes_to_bits(b: &[u8]) -> u64 {
    match b.len() {
        1 => u64::from(b[0]),
        2 => u64::from(u16::from_ne_bytes([b[0], b[1]])),
        4 => u64::from(u32::from_ne_bytes([b[0], b[1], b[2], b[3]])),
        _ => {
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            u64::from_ne_bytes(a)
        }
    }
}

fn spec(dt: DataType) -> ChunkSpec {
    ChunkSpec {
        shape: vec![1],
        data_type: dt,
        fill_value: FillValue::default_for(dt),
    }
}

/// One element through a codec: `Some(bits)` or `None` for an error.
fn one(codec: &dyn ArrayToArrayCodec, encode: bool, dt: DataType, bits: u64) -> Option<u64> {
    one_as(codec, encode, dt, dt, bits)
}

/// [`one`] with the input element of `input` type and the codec's decoded spec `dt`.
fn one_as(
    codec: &dyn ArrayToArrayCodec,
    encode: bool,
    dt: DataType,
    input: DataType,
    bits: u64,
) -> Option<u64> {
    let size = input.size().unwrap();
    let data = ArrayBytes::Fixed(bits_to_bytes(bits, size));
    let out = if encode {
        codec.encode(data, &spec(dt))
    } else {
        codec.decode(data, &spec(dt))
    };
    match out.ok()? {
        ArrayBytes::Fixed(v) => Some(bytes_to_bits(&v)),
        _ => None,
    }
}

const CAST_PY: &str = r#"
import json, sys, warnings
import numpy as np
from cast_value_rs import cast_array
warnings.simplefilter("ignore")
INTS = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
FLOATS = ["float16", "float32", "float64"]
UINT = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}
int_edges = [0, 1, -1, 2, -2, 5, 6, 127, 128, -128, -129, 255, 256, -256, 32767, 32768, -32768,
    -32769, 65504, 65505, 65519, 65520, 65535, 65536, 70000, -70000, 2**24 - 1, 2**24 + 1,
    2**24 + 3, -(2**24 + 1), 2**31 - 1, 2**31, -2**31, -2**31 - 1, 2**32 - 1, 2**32, 2**53 + 1,
    -(2**53 + 1), 2**62 + 2**9 + 1, 2**63 - 1, -2**63, 2**64 - 1, 2**63 + 1025, 12345678901234567]
float_edges = [0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 3.5, 0.49999999999999994, -0.7, 0.7, 127.5,
    128.5, -128.5, -129.5, 255.4, 255.5, 256.0, -1.0, 1e10, -1e10, 65504.0, 65505.0, 65519.99,
    65520.0, 65535.0, 65536.0, -65520.0, 3.4028235e38, 3.4028236e38, 3.5e38, 1e300, -1e300,
    5e-324, 1e-40, -1e-40, 1e-45, 7e-46, 6e-8, 3e-8, 2.9802322387695312e-08, 1e-8, float("nan"),
    -float("nan"), float("inf"), float("-inf"), 2.0**63, 2.0**64, -2.0**63, -2.0**63 - 2048,
    2.0**31 - 0.5, 2.0**31, 4503599627370497.0, 0.1, 1 / 3, 2.0**127, 1e20, 16777217.0, 5.0, 6.0]
payload_nans = {"float16": [0x7E01, 0xFC01], "float32": [0x7FC00123, 0xFF800001],
                "float64": [0x7FF8000000000123, 0xFFF0000000000001]}
rng = np.random.default_rng(7)
def values(src):
    dt = np.dtype(src)
    if src in INTS:
        info = np.iinfo(dt)
        v = [x for x in int_edges if info.min <= x <= info.max]
        return np.concatenate([np.array(v, dtype=dt),
                               rng.integers(info.min, info.max, size=12, dtype=dt, endpoint=True)])
    a = np.array(float_edges + list(rng.standard_normal(6) * 100)
                 + list(rng.standard_normal(6) * 1e5) + list(rng.standard_normal(4) * 1e20), dtype=dt)
    nans = np.array(payload_nans[src], dtype=UINT[dt.itemsize]).view(dt)
    return np.concatenate([a, nans])
def pyval(v, dtype):
    return int(v) if dtype in INTS else float(v)
cases = []
for src in INTS + FLOATS:
    arr = values(src)
    bits = arr.view(UINT[arr.dtype.itemsize]).tolist()
    for tgt in INTS + FLOATS:
        maps = [None]
        if src in FLOATS:
            maps.append([["NaN", 7], ["Infinity", 9], [2.5, 100]])
        else:
            maps.append([[5, 100], [6, 7]])
        for m in maps:
            for r in ["nearest-even", "towards-zero", "towards-positive", "towards-negative", "nearest-away"]:
                for o in [None, "clamp", "wrap"]:
                    if o == "wrap" and src in FLOATS and tgt in FLOATS:
                        continue
                    entries = None if m is None else {pyval(k, src): pyval(v, tgt) for k, v in m}
                    out = []
                    for i in range(len(arr)):
                        try:
                            res = cast_array(arr[i:i + 1], target_dtype=tgt, rounding_mode=r,
                                             out_of_range_mode=o, scalar_map_entries=entries)
                            out.append(int(res.view(UINT[res.dtype.itemsize])[0]))
                        except ValueError:
                            out.append(None)
                    cases.append({"src": src, "tgt": tgt, "r": r, "o": o, "m": m, "in": bits, "out": out})
with open(sys.argv[1], "w") as f:
    json.dump(cases, f)
"#;

fn rounding(name: &str) -> Rounding {
    Rounding::from_name(name).unwrap()
}

fn oor(v: &Value) -> Option<OutOfRange> {
    match v.as_str() {
        Some("clamp") => Some(OutOfRange::Clamp),
        Some("wrap") => Some(OutOfRange::Wrap),
        _ => None,
    }
}

#[test]
fn cast_value_matches_cast_value_rs_element_by_element() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cases.json");
    common::run_code(&common::python(), CAST_PY, &[&out]);
    let cases: Vec<Value> = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let (mut checked, mut bad) = (0usize, Vec::new());
    for c in &cases {
        let src = DataType::from_name(c["src"].as_str().unwrap()).unwrap();
        let tgt = DataType::from_name(c["tgt"].as_str().unwrap()).unwrap();
        let r = rounding(c["r"].as_str().unwrap());
        let o = oor(&c["o"]);
        // zarr-python only uses `wrap` with an integer target: an integer to
        // float cast under `wrap` is the decode direction of such a codec.
        let decode_dir = o == Some(OutOfRange::Wrap) && tgt.name().starts_with("float");
        let map = (!c["m"].is_null()).then(|| {
            let dir = if decode_dir { "decode" } else { "encode" };
            json!({ dir: c["m"] })
        });
        let codec = if decode_dir {
            CastValueCodec::new(tgt, src, r, o, map.as_ref())
        } else {
            CastValueCodec::new(src, tgt, r, o, map.as_ref())
        }
        .unwrap_or_else(|e| panic!("{c:?}: {e}"));
        for (x, want) in c["in"]
            .as_array()
            .unwrap()
            .iter()
            .zip(c["out"].as_array().unwrap())
        {
            let decoded = if decode_dir { tgt } else { src };
            let got = one_as(&codec, !decode_dir, decoded, src, x.as_u64().unwrap());
            checked += 1;
            if got != want.as_u64() {
                bad.push(format!(
                    "{} -> {} {} {:?} map {}: input bits {:#x}: cast-value-rs {want}, ours {got:?}",
                    c["src"],
                    c["tgt"],
                    c["r"],
                    c["o"],
                    c["m"],
                    x.as_u64().unwrap_or(0)
                ));
            }
        }
    }
    assert!(checked > 100_000, "only {checked} casts checked");
    assert!(
        bad.is_empty(),
        "{} of {checked} casts differ:\n{}",
        bad.len(),
        bad.iter().take(40).cloned().collect::<Vec<_>>().join("\n")
    );
}

const SCALE_OFFSET_PY: &str = r#"
import json, sys, warnings
import numpy as np
from zarr.core.dtype import get_data_type_from_json
from zarr.codecs.scale_offset import _encode, _decode
warnings.simplefilter("ignore")
UINT = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}
params = {
    "int": [[0, 1], [3, 2], [-5, 3], [100, -1], [1, 7], ["2", 4.0], [-1, -1]],
    "uint": [[0, 1], [3, 2], [10, 5], [200, 3], ["7", 1]],
    "float": [[0.1, 10], ["0.1", "3"], [1e300, 1e10], ["NaN", 1], [-2.5, "0x3f800000"], [1, "-Infinity"], [0.5, 0.001]],
}
cases = []
for dt in ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32", "float64"]:
    z = get_data_type_from_json(dt, zarr_format=3)
    nd = np.dtype(dt)
    if dt.startswith("float"):
        vals = np.array([0.0, -0.0, 1.0, 0.1, -7.25, 1e4, 65504.0, 3e38, 1e300, float("nan"), float("inf"), 1e-40, 2.0**-24], dtype=nd)
        group = "float"
    else:
        info = np.iinfo(nd)
        vals = np.array([x for x in [0, 1, -1, 2, 3, 6, 7, 100, 126, 127, -128, 128, 255, 2**31 - 1, 2**62, 2**63 - 1, -2**63, 2**64 - 2, 2**64 - 1]
                         if info.min <= x <= info.max], dtype=nd)
        group = "uint" if dt.startswith("u") else "int"
    bits = vals.view(UINT[nd.itemsize]).tolist()
    for off, sc in params[group]:
        o = z.from_json_scalar(off, zarr_format=3)
        s = z.from_json_scalar(sc, zarr_format=3)
        enc, dec = [], []
        for i in range(len(vals)):
            for fn, out in ((_encode, enc), (_decode, dec)):
                try:
                    kw = {} if fn is _encode else {"scale_repr": sc}
                    r = fn(vals[i:i + 1], o, s, **kw)
                    out.append(int(r.view(UINT[nd.itemsize])[0]))
                except ValueError:
                    out.append(None)
        cases.append({"dt": dt, "offset": off, "scale": sc, "in": bits, "enc": enc, "dec": dec})
with open(sys.argv[1], "w") as f:
    json.dump(cases, f)
"#;

#[test]
fn scale_offset_matches_zarr_python_element_by_element() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cases.json");
    common::run_code(&common::python(), SCALE_OFFSET_PY, &[&out]);
    let cases: Vec<Value> = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let (mut checked, mut errors, mut bad) = (0, 0, Vec::new());
    for c in &cases {
        let dt = DataType::from_name(c["dt"].as_str().unwrap()).unwrap();
        let codec = ScaleOffsetCodec::new(c["offset"].clone(), c["scale"].clone(), dt)
            .unwrap_or_else(|e| panic!("{c:?}: {e}"));
        for (i, x) in c["in"].as_array().unwrap().iter().enumerate() {
            for (encode, key) in [(true, "enc"), (false, "dec")] {
                let want = c[key][i].as_u64();
                let got = one(&codec, encode, dt, x.as_u64().unwrap());
                checked += 1;
                errors += usize::from(want.is_none());
                if got != want {
                    bad.push(format!(
                        "{dt} offset {} scale {} {key} {:#x}: zarr-python {want:?}, ours {got:?}",
                        c["offset"],
                        c["scale"],
                        x.as_u64().unwrap_or(0)
                    ));
                }
            }
        }
    }
    assert!(
        checked > 1000 && errors > 50,
        "{checked} checked, {errors} errors"
    );
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// The interop matrix: (name, data type, fill value, filters, compressors).
fn arrays() -> Vec<(&'static str, &'static str, Value, Value, Value)> {
    vec![
        (
            "packed_f64_i16",
            "float64",
            json!("NaN"),
            json!([
                {"name": "scale_offset", "configuration": {"offset": 100, "scale": 10}},
                {"name": "cast_value", "configuration": {"data_type": "int16",
                    "scalar_map": {"encode": [["NaN", -32768]], "decode": [[-32768, "NaN"]]}}}
            ]),
            json!([{"name": "zstd", "configuration": {"level": 0, "checksum": false}}]),
        ),
        (
            "clamp_f32_u8",
            "float32",
            json!(0.0),
            json!([{"name": "cast_value", "configuration": {"data_type": "uint8",
                "rounding": "towards-zero", "out_of_range": "clamp"}}]),
            json!([{"name": "gzip", "configuration": {"level": 5}}]),
        ),
        (
            "wrap_i32_i8",
            "int32",
            json!(-3),
            json!([{"name": "cast_value", "configuration": {"data_type": "int8", "out_of_range": "wrap"}}]),
            json!([]),
        ),
        (
            "nan_f32_f16",
            "float32",
            json!(1.5),
            json!([{"name": "cast_value", "configuration": {"data_type": "float16",
                "rounding": "nearest-away", "out_of_range": "clamp",
                "scalar_map": {"encode": [["NaN", "Infinity"]]}}}]),
            json!([{"name": "zstd", "configuration": {"level": 3, "checksum": true}}]),
        ),
        (
            "scale_only_f32",
            "float32",
            json!("NaN"),
            json!([{"name": "scale_offset", "configuration": {"offset": "0.1", "scale": 4}}]),
            json!([{"name": "zstd", "configuration": {"level": 0, "checksum": false}}]),
        ),
        (
            "scale_only_i16",
            "int16",
            json!(3),
            json!([{"name": "scale_offset", "configuration": {"offset": 3, "scale": -2}}]),
            json!([]),
        ),
        (
            "scale_default_u64",
            "uint64",
            json!(0),
            json!([{"name": "scale_offset"}]),
            json!([]),
        ),
        (
            "f64_f32_up",
            "float64",
            json!(-0.0),
            json!([{"name": "cast_value", "configuration": {"data_type": "float32",
                "rounding": "towards-positive"}}]),
            json!([{"name": "gzip", "configuration": {"level": 1}}]),
        ),
    ]
}

/// Python: the data of each case (deterministic), written region by region
/// so that edge chunks are partial and some chunks stay missing.
const INTEROP_PY: &str = r#"
import json, sys, warnings
import numpy as np
import zarr
from zarr.storage import LocalStore
warnings.simplefilter("ignore")
UINT = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}
mode, root, cases = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
def data(name, dtype):
    rng = np.random.default_rng(len(name))
    n = 4 * 6
    if name == "packed_f64_i16":
        a = np.round(rng.uniform(-3000, 3000, n), 3) + 100
        a[[2, 7]] = np.nan
    elif name == "clamp_f32_u8":
        a = rng.uniform(-50, 300, n)
    elif name == "wrap_i32_i8":
        a = rng.integers(-100000, 100000, n)
    elif name == "nan_f32_f16":
        a = rng.standard_normal(n) * 1e4
        a[[1, 5]] = np.nan
        a[3] = 1e6
    elif name == "scale_only_f32":
        a = rng.standard_normal(n)
        a[0] = np.nan
    elif name == "scale_only_i16":
        a = rng.integers(-5000, 5000, n)
    elif name == "scale_default_u64":
        a = rng.integers(0, 2**64 - 1, n, dtype=np.uint64, endpoint=True)
    else:
        a = rng.standard_normal(n) / 3
    return a.astype(dtype).reshape(4, 6)
out = {}
for name, dtype, fill, filters, compressors in cases:
    if mode == "write":
        fv = float(fill) if isinstance(fill, str) else fill
        a = zarr.create_array(LocalStore(root), name=name, shape=(5, 7), chunks=(2, 3), dtype=dtype,
                              fill_value=fv, filters=filters, compressors=compressors)
        a[0:4, 0:6] = data(name, dtype)
    a = zarr.open_array(LocalStore(root), path=name)
    got = a[...]
    out[name] = {"read": got.view(UINT[got.dtype.itemsize]).ravel().tolist(),
                 "data": data(name, dtype).view(UINT[np.dtype(dtype).itemsize]).ravel().tolist()}
print("RESULT" + json.dumps(out))
"#;

fn local(dir: &Path) -> StoreRef {
    Arc::new(LocalStore::new(dir, false).unwrap())
}

fn run_py(mode: &str, root: &Path) -> Value {
    let cases: Vec<Value> = arrays()
        .into_iter()
        .map(|(n, d, f, fl, c)| json!([n, d, f, fl, c]))
        .collect();
    let cases = serde_json::to_string(&cases).unwrap();
    let text = common::run_code(
        &common::python(),
        INTEROP_PY,
        &[Path::new(mode), root, Path::new(&cases)],
    );
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("RESULT"))
        .unwrap_or_else(|| panic!("no result from Python:\n{text}"));
    serde_json::from_str(line).unwrap()
}

fn read_ours(store: &StoreRef, name: &str) -> Vec<u64> {
    let a = Array::open(store.clone(), name).unwrap_or_else(|e| panic!("open {name}: {e}"));
    let size = a.data_type().size().unwrap();
    let buf = a
        .read_ndbuffer(&Selection::all())
        .unwrap_or_else(|e| panic!("read {name}: {e}"));
    match buf.data() {
        zarr::buffer::NDData::Fixed(b) => b.chunks_exact(size).map(bytes_to_bits).collect(),
        _ => panic!("fixed-size data expected"),
    }
}

fn as_bits(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

#[test]
fn zarr_python_writes_we_read() {
    let dir = tempfile::tempdir().unwrap();
    let theirs = run_py("write", dir.path());
    let store = local(dir.path());
    for (name, ..) in arrays() {
        let ours = read_ours(&store, name);
        assert_eq!(ours, as_bits(&theirs[name]["read"]), "{name}");
        // Some chunks were never written: the read holds fill values there.
        assert!(
            !dir.path().join(name).join("c/2/2").exists(),
            "{name}: chunk (2, 2) should be missing"
        );
    }
}

#[test]
fn we_write_zarr_python_reads_and_metadata_is_byte_equal() {
    // zarr-python's arrays first (for their data and their zarr.json).
    let theirs_dir = tempfile::tempdir().unwrap();
    let theirs = run_py("write", theirs_dir.path());
    let ours_dir = tempfile::tempdir().unwrap();
    let store = local(ours_dir.path());
    for (name, dtype, fill, filters, compressors) in arrays() {
        let dt = DataType::from_name(dtype).unwrap();
        let filters: Vec<CodecMetadata> = serde_json::from_value(filters).unwrap();
        let compressors: Vec<CodecMetadata> = serde_json::from_value(compressors).unwrap();
        let a = ArrayBuilder::new(vec![5, 7], dt)
            .chunks(vec![2, 3])
            .fill_value_json(fill)
            .filters(filters)
            .compressors(compressors)
            .create(store.clone(), name)
            .unwrap_or_else(|e| panic!("create {name}: {e}"));
        let size = dt.size().unwrap();
        let data: Vec<u8> = as_bits(&theirs[name]["data"])
            .into_iter()
            .flat_map(|b| bits_to_bytes(b, size))
            .collect();
        a.write_bytes(&Selection::from_box(&[0, 0], &[4, 6]), &data)
            .unwrap_or_else(|e| panic!("write {name}: {e}"));
        let ours_meta = std::fs::read(ours_dir.path().join(name).join("zarr.json")).unwrap();
        let theirs_meta = std::fs::read(theirs_dir.path().join(name).join("zarr.json")).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&ours_meta),
            String::from_utf8_lossy(&theirs_meta),
            "{name}: zarr.json"
        );
    }
    let read_back = run_py("read", ours_dir.path());
    for (name, ..) in arrays() {
        let ours = read_ours(&store, name);
        assert_eq!(
            as_bits(&read_back[name]["read"]),
            ours,
            "{name}: zarr-python reads what we read"
        );
        // And both equal what zarr-python reads of its own array.
        assert_eq!(ours, as_bits(&theirs[name]["read"]), "{name}");
    }
}

#[test]
fn zarr_python_refuses_what_we_refuse() {
    // Configurations both sides refuse when the array is opened: a NaN fill
    // value cast to an integer type without a scalar map, an encoded fill
    // value out of range, wrap with a float target, a bad scalar map entry.
    let bad: Vec<(&str, Value, Value)> = vec![
        (
            "float64",
            json!("NaN"),
            json!([{"name": "cast_value", "configuration": {"data_type": "int16"}}]),
        ),
        (
            "int8",
            json!(100),
            json!([{"name": "scale_offset", "configuration": {"scale": 2}}]),
        ),
        (
            "float64",
            json!(0.0),
            json!([{"name": "cast_value", "configuration": {"data_type": "float32", "out_of_range": "wrap"}}]),
        ),
        (
            "float64",
            json!(0.0),
            json!([{"name": "cast_value", "configuration": {"data_type": "uint8",
                "scalar_map": {"encode": [["NaN", 256]]}}}]),
        ),
        (
            "float64",
            json!(0.0),
            json!([{"name": "scale_offset", "configuration": {"scale": 0.0}}]),
        ),
        (
            "bool",
            json!(false),
            json!([{"name": "cast_value", "configuration": {"data_type": "uint8"}}]),
        ),
        (
            "float64",
            json!(0.0),
            json!([{"name": "cast_value", "configuration": {"data_type": "complex64"}}]),
        ),
        (
            "float64",
            json!(0.0),
            json!([{"name": "scale_offset", "configuration": {"offset": 1, "bogus": 2}}]),
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let store = local(dir.path());
    for (i, (dtype, fill, filters)) in bad.iter().enumerate() {
        let dt = DataType::from_name(dtype).unwrap();
        let filters_m: Vec<CodecMetadata> = serde_json::from_value(filters.clone()).unwrap();
        let r = ArrayBuilder::new(vec![4], dt)
            .chunks(vec![2])
            .fill_value_json(fill.clone())
            .filters(filters_m)
            .create(store.clone(), &format!("a{i}"));
        assert!(r.is_err(), "we accepted {dtype} {fill} {filters}");
    }
    let py = r#"
import json, sys, zarr
from zarr.storage import MemoryStore
refused = 0
cases = json.loads(sys.argv[1])
for dtype, fill, filters in cases:
    try:
        zarr.create_array(MemoryStore(), shape=(4,), chunks=(2,), dtype=dtype,
                          fill_value=float(fill) if isinstance(fill, str) else fill, filters=filters)
    except Exception as e:
        refused += 1
print("REFUSED", refused, len(cases))
"#;
    let cases = serde_json::to_string(
        &bad.iter()
            .map(|(d, f, c)| json!([d, f, c]))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let text = common::run_code(&common::python(), py, &[Path::new(&cases)]);
    assert!(
        text.contains(&format!("REFUSED {} {}", bad.len(), bad.len())),
        "{text}"
    );
}
