//! `raw_bytes` (numpy `|V{n}`) and `struct` (numpy structured dtypes)
//! against zarr-python 3.4.2, V2 and V3, both directions.
//!
//! zarr-python really runs: it creates every case of the matrix (partial
//! edge chunks, a chunk left unwritten so that it reads as the fill value,
//! fill values given and default, a big-endian V2 field, nested structs,
//! sharding, blosc, crc32c, transpose, a big-endian `bytes` codec, order F)
//! and records what numpy holds (`tobytes()` of the data in native byte
//! order, which is how we hold elements in memory). We read its arrays and
//! compare bytes; we write the same arrays and compare the metadata
//! documents byte for byte and the stored chunk keys; zarr-python then reads
//! ours and compares them with its own.

#![allow(clippy::unwrap_used)]

mod common;

use serde_json::{json, Map, Value};
use std::path::Path;
use std::sync::Arc;
use zarr::array::{Array, ArrayBuilder};
use zarr::buffer::Order;
use zarr::chunk::Selection;
use zarr::dtype::{DataType, FillValue};
use zarr::metadata::CodecMetadata;
use zarr::store::{LocalStore, StoreRef};

/// One array of the matrix.
struct Case {
    name: &'static str,
    format: u8,
    /// The numpy dtype as a V2 `dtype` (a type string or `[name, type]` pairs).
    dtype: Value,
    shape: Vec<u64>,
    chunks: Vec<u64>,
    /// The fill value as a Python expression, and as our builder takes it.
    fill: Option<(&'static str, Value)>,
    /// Codec settings: "shards", "blosc", "crc32c", "transpose", "big", "order_f".
    extra: &'static str,
}

fn plain() -> Value {
    json!([["a", "<i4"], ["b", "<f8"]])
}

fn big_field() -> Value {
    json!([["a", ">i4"], ["b", "<f8"], ["c", "|u1"]])
}

fn nested() -> Value {
    json!([
        ["a", "<i2"],
        ["n", [["x", "<f4"], ["y", "|S3"]]],
        ["c", "<c8"],
        ["v", "|V2"],
        ["t", "|b1"]
    ])
}

fn times() -> Value {
    json!([
        ["m", "<M8[s]"],
        ["d", ">m8[ms]"],
        ["h", "<f2"],
        ["u", "<U2"]
    ])
}

fn misc() -> Value {
    json!([["u", ">U2"], ["h", "<f2"], ["q", ">u8"], ["s", "|i1"]])
}

fn cases() -> Vec<Case> {
    let case = |name, format, dtype: Value, shape: &[u64], chunks: &[u64]| Case {
        name,
        format,
        dtype,
        shape: shape.to_vec(),
        chunks: chunks.to_vec(),
        fill: None,
        extra: "",
    };
    let mut out = Vec::new();
    for format in [2u8, 3] {
        let v = |s: &'static str, s3: &'static str| if format == 2 { s } else { s3 };
        out.push(case(
            v("v2_raw", "v3_raw"),
            format,
            json!("|V6"),
            &[7],
            &[3],
        ));
        out.push(Case {
            fill: Some(("b'ab\\x00cd\\x00'", json!("YWIAY2QA"))),
            ..case(
                v("v2_raw_fill", "v3_raw_fill"),
                format,
                json!("|V6"),
                &[5, 4],
                &[2, 3],
            )
        });
        out.push(case(
            v("v2_plain", "v3_plain"),
            format,
            plain(),
            &[5, 3],
            &[2, 2],
        ));
        out.push(Case {
            fill: Some(("(3, 1.5)", json!({"a": 3, "b": 1.5}))),
            ..case(
                v("v2_plain_fill", "v3_plain_fill"),
                format,
                plain(),
                &[7],
                &[3],
            )
        });
        out.push(case(v("v2_big", "v3_big"), format, big_field(), &[9], &[4]));
        out.push(Case {
            fill: Some((
                "(-2, float('nan'), 7)",
                json!({"a": -2, "b": "NaN", "c": 7}),
            )),
            ..case(
                v("v2_big_fill", "v3_big_fill"),
                format,
                big_field(),
                &[6, 5],
                &[4, 2],
            )
        });
        out.push(case(
            v("v2_nested", "v3_nested"),
            format,
            nested(),
            &[5],
            &[2],
        ));
        out.push(case(v("v2_misc", "v3_misc"), format, misc(), &[5], &[3]));
        out.push(Case {
            extra: "blosc",
            ..case(v("v2_blosc", "v3_blosc"), format, big_field(), &[10], &[4])
        });
        out.push(Case {
            extra: "blosc",
            ..case(
                v("v2_raw_blosc", "v3_raw_blosc"),
                format,
                json!("|V3"),
                &[10],
                &[4],
            )
        });
    }
    // zarr-python cannot write V2 structs with time fields (numcodecs refuses
    // their buffers), so those are V3 only.
    out.push(case("v3_times", 3, times(), &[5], &[3]));
    // An explicit null V2 fill value: written null, read as zeros.
    out.push(Case {
        fill: Some(("None", Value::Null)),
        ..case("v2_null_fill", 2, big_field(), &[7], &[3])
    });
    out.push(Case {
        fill: Some(("None", Value::Null)),
        ..case("v2_raw_null_fill", 2, json!("|V6"), &[7], &[3])
    });
    out.push(Case {
        extra: "order_f",
        ..case("v2_order_f", 2, big_field(), &[5, 4], &[2, 3])
    });
    out.push(Case {
        extra: "shards",
        ..case("v3_shards", 3, nested(), &[11], &[2])
    });
    out.push(Case {
        extra: "shards",
        ..case("v3_raw_shards", 3, json!("|V5"), &[11], &[2])
    });
    out.push(Case {
        extra: "crc32c",
        ..case("v3_crc32c", 3, plain(), &[7], &[3])
    });
    out.push(Case {
        extra: "transpose",
        ..case("v3_transpose", 3, big_field(), &[5, 4], &[2, 3])
    });
    out.push(Case {
        extra: "big",
        ..case("v3_big_endian_codec", 3, nested(), &[7], &[3])
    });
    out.push(Case {
        extra: "big",
        fill: Some(("(1, 2.0)", json!({"a": 1, "b": 2.0}))),
        ..case("v3_big_endian_codec_fill", 3, plain(), &[7], &[3])
    });
    out
}

fn cases_json() -> Value {
    Value::Array(
        cases()
            .iter()
            .map(|c| {
                json!({
                    "name": c.name, "format": c.format, "dtype": c.dtype, "shape": c.shape,
                    "chunks": c.chunks, "fill": c.fill.as_ref().map(|f| f.0), "extra": c.extra,
                })
            })
            .collect(),
    )
}

/// Python helpers shared by the scripts: the cases, the dtype, the arguments
/// of `create_array`, native-order bytes.
const PY_COMMON: &str = r#"
import json, sys, warnings
import numpy as np
import zarr, zarr.codecs
warnings.simplefilter("ignore")

def to_dtype(d):
    if isinstance(d, str):
        return np.dtype(d)
    return np.dtype([(n, to_dtype(t)) for n, t in d])

def kwargs(c):
    fmt = c["format"]
    kw = dict(shape=tuple(c["shape"]), chunks=tuple(c["chunks"]), dtype=to_dtype(c["dtype"]),
              zarr_format=fmt)
    if c["fill"] is not None:
        kw["fill_value"] = eval(c["fill"])
    e = c["extra"]
    if e == "blosc":
        if fmt == 2:
            from numcodecs import Blosc
            kw["compressors"] = Blosc(cname="lz4", clevel=5, shuffle=1)
        else:
            kw["compressors"] = [zarr.codecs.BloscCodec(cname="lz4", clevel=5, shuffle="shuffle")]
    elif e == "order_f":
        kw["order"] = "F"
    elif e == "shards":
        kw["shards"] = (4,)
    elif e == "crc32c":
        kw["compressors"] = [zarr.codecs.ZstdCodec(level=0), zarr.codecs.Crc32cCodec()]
    elif e == "transpose":
        kw["filters"] = [zarr.codecs.TransposeCodec(order=(1, 0))]
    elif e == "big":
        kw["serializer"] = zarr.codecs.BytesCodec(endian="big")
    return kw

def native(a):
    a = np.asarray(a)
    return np.ascontiguousarray(a.astype(a.dtype.newbyteorder("="))).tobytes()

def fix(arr):
    # Random bytes are no valid bool or UCS-4: give those fields valid values.
    if arr.dtype.names is None:
        return
    for n in arr.dtype.names:
        sub = arr[n]
        if sub.dtype.names is not None:
            fix(sub)
        elif sub.dtype.kind == "b":
            arr[n] = np.arange(sub.size).reshape(sub.shape) % 3 == 1
        elif sub.dtype.kind == "U":
            arr[n] = np.array(["é" + str(i % 10) for i in range(sub.size)]).reshape(sub.shape)
"#;

/// Creates every case under argv[1], writing all but the first chunk row,
/// and records what numpy holds.
const PY_GENERATE: &str = r#"
root = sys.argv[1]
manifest = {}
for i, c in enumerate(json.loads(sys.argv[2])):
    print(c["name"], flush=True)
    kw = kwargs(c)
    dt = kw["dtype"]
    a = zarr.create_array(root, name=c["name"], **kw)
    n = int(np.prod(c["shape"]))
    rng = np.random.default_rng(i)
    raw = rng.integers(0, 256, size=n * dt.itemsize, dtype=np.uint8).tobytes()
    data = np.frombuffer(raw, dtype=dt.newbyteorder("=")).copy().reshape(c["shape"])
    fix(data)
    data = data.astype(dt)
    r = c["chunks"][0]
    a[r:] = data[r:]
    whole = a[...]
    assert native(whole[r:]) == native(data[r:])
    manifest[c["name"]] = {
        "data": native(whole).hex(),
        "fill": native(np.zeros((), dtype=dt) if a.fill_value is None else np.asarray(a.fill_value, dtype=dt)).hex(),
        "written": native(data[r:]).hex(),
    }
json.dump(manifest, open(root + "/manifest.json", "w"))
print("OK")
"#;

/// Reads our arrays (argv[1]) and zarr-python's (argv[2]) and compares them.
const PY_VERIFY: &str = r#"
ours, theirs = sys.argv[1], sys.argv[2]
for c in json.loads(sys.argv[3]):
    a = zarr.open_array(ours, path=c["name"], mode="r")
    b = zarr.open_array(theirs, path=c["name"], mode="r")
    if sys.argv[4] == "exact":
        assert a.dtype == b.dtype, (c["name"], a.dtype, b.dtype)
    else:
        assert a.dtype.newbyteorder("=") == b.dtype.newbyteorder("="), (c["name"], a.dtype, b.dtype)
    assert native(a[...]) == native(b[...]), c["name"]
    fa = np.zeros((), dtype=a.dtype) if a.fill_value is None else np.asarray(a.fill_value, dtype=a.dtype)
    fb = np.zeros((), dtype=b.dtype) if b.fill_value is None else np.asarray(b.fill_value, dtype=b.dtype)
    assert (a.fill_value is None) == (b.fill_value is None), c["name"]
    assert native(fa) == native(fb), c["name"]
    # A partial read across chunks.
    sel = tuple(slice(1, None) for _ in c["shape"])
    assert native(a[sel]) == native(b[sel]), c["name"]
print("OK")
"#;

fn local(dir: &Path) -> StoreRef {
    Arc::new(LocalStore::new(dir, false).unwrap())
}

fn codec(name: &str, config: Value) -> CodecMetadata {
    match config {
        Value::Object(m) => CodecMetadata::new(name, Some(m)),
        _ => CodecMetadata::new(name, None),
    }
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Our builder for a case, set up as zarr-python's `create_array` is.
fn builder(c: &Case) -> ArrayBuilder {
    let (dt, _) = DataType::from_v2_dtype(&c.dtype).unwrap();
    let mut b = ArrayBuilder::new(c.shape.clone(), dt)
        .chunks(c.chunks.clone())
        .zarr_format(c.format);
    if let Some((_, f)) = &c.fill {
        b = b.fill_value_json(f.clone());
    }
    let size = dt.size().unwrap();
    match c.extra {
        "blosc" if c.format == 2 => {
            b = b.compressor_v2(Some(object(json!({
                "id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1, "blocksize": 0
            }))))
        }
        "blosc" => {
            b = b.compressors(vec![codec(
                "blosc",
                json!({"typesize": size, "cname": "lz4", "clevel": 5, "shuffle": "shuffle", "blocksize": 0}),
            )])
        }
        "order_f" => b = b.storage_order(Order::F),
        "shards" => b = b.shards(vec![4]),
        "crc32c" => {
            b = b.compressors(vec![
                codec("zstd", json!({"level": 0, "checksum": false})),
                codec("crc32c", Value::Null),
            ])
        }
        "transpose" => b = b.filters(vec![codec("transpose", json!({"order": [1, 0]}))]),
        "big" => b = b.serializer(codec("bytes", json!({"endian": "big"}))),
        _ => {}
    }
    b
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The metadata document of an array (`zarr.json` or `.zarray`).
fn document(dir: &Path, c: &Case) -> String {
    let name = if c.format == 2 {
        ".zarray"
    } else {
        "zarr.json"
    };
    std::fs::read_to_string(dir.join(c.name).join(name)).unwrap()
}

/// The stored keys under an array, metadata excluded, sorted.
fn chunk_keys(store: &StoreRef, c: &Case) -> Vec<String> {
    let mut keys: Vec<String> = store
        .list_prefix(&format!("{}/", c.name))
        .unwrap()
        .into_iter()
        .filter(|k| !k.ends_with("zarr.json") && !k.ends_with(".zarray") && !k.ends_with(".zattrs"))
        .collect();
    keys.sort();
    keys
}

#[test]
fn interop_with_zarr_python_both_ways() {
    let py = common::python();
    let tmp = tempfile::tempdir().unwrap();
    let theirs = tmp.path().join("theirs");
    let ours = tmp.path().join("ours");
    std::fs::create_dir_all(&ours).unwrap();
    let cases_arg = cases_json().to_string();
    let gen = format!("{PY_COMMON}{PY_GENERATE}");
    let out = common::run(
        &py,
        &[
            "-c".as_ref(),
            gen.as_ref(),
            theirs.as_os_str(),
            cases_arg.as_ref(),
        ],
    );
    assert!(out.contains("OK"), "{out}");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(theirs.join("manifest.json")).unwrap()).unwrap();
    let their_store = local(&theirs);
    let our_store = local(&ours);
    for c in cases() {
        let m = &manifest[c.name];
        let expected = unhex(m["data"].as_str().unwrap());
        // We read zarr-python's array exactly.
        let a =
            Array::open(their_store.clone(), c.name).unwrap_or_else(|e| panic!("{}: {e}", c.name));
        let (dt, _) = DataType::from_v2_dtype(&c.dtype).unwrap();
        let want_type = if c.format == 3 {
            dt.for_v3().unwrap()
        } else {
            dt
        };
        assert_eq!(a.data_type(), want_type, "{}", c.name);
        let mut got = vec![0u8; expected.len()];
        a.read_into_bytes(&Selection::all(), &mut got).unwrap();
        assert!(got == expected, "{}: data differs", c.name);
        let fill = unhex(m["fill"].as_str().unwrap());
        assert_eq!(
            a.metadata().fill_value,
            FillValue::new(fill.clone()),
            "{}",
            c.name
        );
        // The unwritten first chunk row reads as the fill value.
        let row: u64 = c.shape[1..].iter().product();
        let unwritten = (c.chunks[0] * row) as usize * fill.len();
        assert!(
            expected[..unwritten].chunks(fill.len()).all(|e| e == fill),
            "{}",
            c.name
        );
        assert!(
            expected[unwritten..].chunks(fill.len()).any(|e| e != fill),
            "{}",
            c.name
        );
        // The same array from us: same document, same chunks stored.
        let ours_a = builder(&c)
            .create(our_store.clone(), c.name)
            .unwrap_or_else(|e| panic!("{}: {e}", c.name));
        assert_eq!(ours_a.data_type(), a.data_type(), "{}", c.name);
        let rows = format!("{}:", c.chunks[0]);
        let sel: Selection = rows.parse().unwrap();
        let written = unhex(m["written"].as_str().unwrap());
        ours_a.write_bytes(&sel, &written).unwrap();
        assert_eq!(
            document(&ours, &c),
            document(&theirs, &c),
            "{}: metadata documents differ",
            c.name
        );
        assert_eq!(
            chunk_keys(&our_store, &c),
            chunk_keys(&their_store, &c),
            "{}",
            c.name
        );
        let mut back = vec![0u8; expected.len()];
        Array::open(our_store.clone(), c.name)
            .unwrap()
            .read_into_bytes(&Selection::all(), &mut back)
            .unwrap();
        assert!(back == expected, "{}: our round trip differs", c.name);
    }
    // What the documents say, for a few cases.
    let doc = |name: &str, file: &str| std::fs::read_to_string(ours.join(name).join(file)).unwrap();
    assert!(doc("v2_big", ".zarray").contains("\">i4\""));
    assert!(doc("v2_big_fill", ".zarray").contains("\"fill_value\": \"/////gAAAAAAAPh/Bw==\""));
    assert!(doc("v2_raw", ".zarray").contains("\"dtype\": \"|V6\""));
    assert!(doc("v2_null_fill", ".zarray").contains("\"fill_value\": null"));
    assert!(doc("v3_raw", "zarr.json").contains("\"raw_bytes\""));
    let v3 = doc("v3_big_endian_codec", "zarr.json");
    assert!(
        v3.contains("\"struct\"") && v3.contains("\"endian\": \"big\""),
        "{v3}"
    );
    assert!(doc("v3_plain", "zarr.json").contains("\"endian\": \"little\""));
    // zarr-python reads ours as it reads its own.
    let verify = format!("{PY_COMMON}{PY_VERIFY}");
    let out = common::run(
        &py,
        &[
            "-c".as_ref(),
            verify.as_ref(),
            ours.as_os_str(),
            theirs.as_os_str(),
            cases_arg.as_ref(),
            "exact".as_ref(),
        ],
    );
    assert!(out.contains("OK"), "{out}");
}

/// Run a script of [`PY_COMMON`] plus `script` with `args`.
fn python(script: &str, args: &[&std::ffi::OsStr]) {
    let code = format!("{PY_COMMON}{script}");
    let mut all: Vec<&std::ffi::OsStr> = vec!["-c".as_ref(), code.as_ref()];
    all.extend_from_slice(args);
    let out = common::run(&common::python(), &all);
    assert!(out.contains("OK"), "{out}");
}

/// V2 to V3 conversion (metadata only, or re-encoded when the fields' byte
/// orders differ) and copies between formats keep the data type and the
/// data, as zarr-python reads them.
#[test]
fn conversion_and_copies_keep_the_type() {
    let tmp = tempfile::tempdir().unwrap();
    let dirs = ["theirs", "converted", "copied3", "back2"].map(|d| tmp.path().join(d));
    let case = |name, dtype: Value| Case {
        name,
        format: 2,
        dtype,
        shape: vec![7, 3],
        chunks: vec![3, 2],
        fill: None,
        extra: "",
    };
    let cases = vec![
        case(
            "uniform_big",
            json!([["a", ">i4"], ["b", ">f8"], ["c", "|u1"]]),
        ),
        case("mixed", big_field()),
        case("little", plain()),
        Case {
            fill: Some(("(5, -1.0)", json!({"a": 5, "b": -1.0}))),
            ..case("little_fill", plain())
        },
        case("raw", json!("|V6")),
        case("nested", nested()),
    ];
    let cases_arg = Value::Array(
        cases
            .iter()
            .map(|c| {
                json!({"name": c.name, "format": 2, "dtype": c.dtype, "shape": c.shape,
                       "chunks": c.chunks, "fill": c.fill.as_ref().map(|f| f.0), "extra": ""})
            })
            .collect(),
    )
    .to_string();
    python(PY_GENERATE, &[dirs[0].as_os_str(), cases_arg.as_ref()]);
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dirs[0].join("manifest.json")).unwrap()).unwrap();
    let stores: Vec<StoreRef> = dirs
        .iter()
        .map(|d| {
            std::fs::create_dir_all(d).unwrap();
            local(d)
        })
        .collect();
    let read = |store: &StoreRef, name: &str| {
        let a = Array::open(store.clone(), name).unwrap();
        let mut out =
            vec![0u8; a.shape().iter().product::<u64>() as usize * a.data_type().size().unwrap()];
        a.read_into_bytes(&Selection::all(), &mut out).unwrap();
        (a, out)
    };
    for c in &cases {
        let expected = unhex(manifest[c.name]["data"].as_str().unwrap());
        let (src, data) = read(&stores[0], c.name);
        assert!(data == expected, "{}", c.name);
        let s =
            zarr::array::convert_v2_to_v3(&stores[0], c.name, &stores[1], c.name, false).unwrap();
        assert_eq!(s.reencoded, usize::from(c.name == "mixed"), "{}", c.name);
        let (conv, data) = read(&stores[1], c.name);
        assert_eq!(conv.zarr_format(), 3);
        assert_eq!(
            conv.data_type(),
            src.data_type().for_v3().unwrap(),
            "{}",
            c.name
        );
        assert_eq!(
            conv.metadata().fill_value,
            src.metadata().fill_value,
            "{}",
            c.name
        );
        assert!(data == expected, "{}: converted", c.name);
        let opts = zarr::api::copy::CopyOptions::default().zarr_format(3);
        zarr::api::copy::copy(&stores[0], c.name, &stores[2], c.name, &opts).unwrap();
        let (c3, data) = read(&stores[2], c.name);
        assert_eq!(c3.data_type(), conv.data_type(), "{}", c.name);
        assert!(data == expected, "{}: copied to V3", c.name);
        let opts = zarr::api::copy::CopyOptions::default().zarr_format(2);
        zarr::api::copy::copy(&stores[2], c.name, &stores[3], c.name, &opts).unwrap();
        let (c2, data) = read(&stores[3], c.name);
        assert_eq!(c2.zarr_format(), 2);
        assert_eq!(
            c2.data_type().for_v3().unwrap(),
            conv.data_type(),
            "{}",
            c.name
        );
        assert!(data == expected, "{}: copied back to V2", c.name);
        assert_eq!(
            c2.metadata().fill_value,
            src.metadata().fill_value,
            "{}",
            c.name
        );
    }
    let doc = std::fs::read_to_string(dirs[1].join("uniform_big/zarr.json")).unwrap();
    assert!(doc.contains("\"endian\": \"big\""), "{doc}");
    for d in &dirs[1..] {
        python(
            PY_VERIFY,
            &[
                d.as_os_str(),
                dirs[0].as_os_str(),
                cases_arg.as_ref(),
                "native".as_ref(),
            ],
        );
    }
}

fn some_struct() -> DataType {
    DataType::from_v2_dtype(&nested()).unwrap().0
}

/// Numeric codecs make no sense for raw bytes or structs: clear errors, no
/// panics. The codecs that move bytes work.
#[test]
fn codecs_on_raw_bytes_and_structs() {
    use zarr::store::MemoryStore;
    for dt in [DataType::RawBytes(6), some_struct()] {
        let store: StoreRef = Arc::new(MemoryStore::new());
        let filters = [
            codec("numcodecs.delta", json!({"dtype": "|V6"})),
            codec("numcodecs.delta", json!({"dtype": "<i4"})),
            codec(
                "numcodecs.fixedscaleoffset",
                json!({"dtype": "<f8", "scale": 1, "offset": 0}),
            ),
            codec("numcodecs.quantize", json!({"dtype": "<f8", "digits": 2})),
            codec("numcodecs.astype", json!({"encode_dtype": "<i4"})),
            codec(
                "numcodecs.categorize",
                json!({"dtype": "|O", "labels": ["a"]}),
            ),
        ];
        for f in filters {
            let name = f.name.clone();
            let e = ArrayBuilder::new(vec![4], dt)
                .chunks(vec![2])
                .filters(vec![f])
                .create(store.clone(), "a")
                .err()
                .unwrap_or_else(|| panic!("{name} on {dt} should fail"));
            assert!(e.to_string().contains(&name), "{name}: {e}");
        }
        let e = ArrayBuilder::new(vec![4], dt)
            .chunks(vec![2])
            .serializer(codec("numcodecs.packbits", Value::Null))
            .create(store.clone(), "a")
            .err()
            .unwrap();
        assert!(e.to_string().contains("bool"), "{e}");
        let e = ArrayBuilder::new(vec![4], dt)
            .chunks(vec![2])
            .zarr_format(2)
            .filters_v2(vec![object(json!({"id": "delta", "dtype": "|V6"}))])
            .create(store.clone(), "v2")
            .err()
            .unwrap();
        assert!(e.to_string().contains("delta"), "{e}");

        // transpose, sharding, gzip, blosc, crc32c round trip; V2 too.
        let size = dt.size().unwrap();
        let data: Vec<u8> = (0..5 * 6 * size).map(|i| (i * 13 + 7) as u8).collect();
        let builders = [
            ArrayBuilder::new(vec![5, 6], dt)
                .chunks(vec![2, 2])
                .shards(vec![4, 4])
                .filters(vec![codec("transpose", json!({"order": [1, 0]}))])
                .compressors(vec![
                    codec("gzip", json!({"level": 1})),
                    codec("crc32c", Value::Null),
                ]),
            ArrayBuilder::new(vec![5, 6], dt)
                .chunks(vec![2, 4])
                .serializer(codec("bytes", json!({"endian": "big"})))
                .compressors(vec![codec(
                    "blosc",
                    json!({"typesize": size, "cname": "zstd", "clevel": 3, "shuffle": "bitshuffle", "blocksize": 0}),
                )]),
            ArrayBuilder::new(vec![5, 6], dt)
                .chunks(vec![2, 4])
                .zarr_format(2)
                .storage_order(Order::F)
                .compressor_v2(Some(object(json!({"id": "gzip", "level": 1})))),
        ];
        for (i, b) in builders.into_iter().enumerate() {
            let path = format!("rt{i}");
            let a = b.create(store.clone(), &path).unwrap();
            a.write_bytes(&Selection::all(), &data).unwrap();
            let back = Array::open(store.clone(), &path).unwrap();
            let mut out = vec![0u8; data.len()];
            back.read_into_bytes(&Selection::all(), &mut out).unwrap();
            assert!(out == data, "{dt} {path}");
            let sel: Selection = "1:4, 3:6".parse().unwrap();
            let mut part = vec![0u8; 3 * 3 * size];
            back.read_into_bytes(&sel, &mut part).unwrap();
            let want: Vec<u8> = (1..4)
                .flat_map(|r| data[(r * 6 + 3) * size..(r * 6 + 6) * size].to_vec())
                .collect();
            assert!(part == want, "{dt} {path} partial");
            let nd = back.read_ndbuffer(&sel).unwrap();
            assert_eq!(nd.data_type(), back.data_type());
        }
    }
}

/// Metadata that would allocate without bound, or is malformed, is a clear
/// error when opening.
#[test]
fn hostile_metadata_is_refused_clearly() {
    use zarr::store::MemoryStore;
    let zarray = |dtype: Value, fill: Value| {
        json!({"shape": [4], "chunks": [2], "dtype": dtype, "fill_value": fill, "order": "C",
               "filters": null, "compressor": null, "zarr_format": 2})
    };
    let zarr_json = |data_type: Value, fill: Value| {
        json!({"shape": [4], "data_type": data_type,
               "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2]}},
               "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
               "fill_value": fill, "codecs": [{"name": "bytes"}], "attributes": {},
               "zarr_format": 3, "node_type": "array", "storage_transformers": []})
    };
    let s = |fields: Value| json!({"name": "struct", "configuration": {"fields": fields}});
    let cases = [
        (
            ".zarray",
            zarray(json!("|V999999999999"), Value::Null),
            "length",
        ),
        (".zarray", zarray(json!("|V0"), Value::Null), "length"),
        (
            ".zarray",
            zarray(json!([["a", "<i4"], ["a", "<i4"]]), Value::Null),
            "more than once",
        ),
        (
            ".zarray",
            zarray(json!([]), Value::Null),
            "at least one field",
        ),
        (
            ".zarray",
            zarray(json!([["a", "<i4"]]), json!("AAA=")),
            "fill_value",
        ),
        (
            ".zarray",
            zarray(json!([["a", "<i4"]]), json!(1)),
            "fill_value",
        ),
        (
            ".zarray",
            zarray(json!("|V4"), json!("not base64!")),
            "fill_value",
        ),
        (
            "zarr.json",
            zarr_json(
                json!({"name": "raw_bytes", "configuration": {"length_bytes": 99999999999u64}}),
                json!(""),
            ),
            "length_bytes",
        ),
        (
            "zarr.json",
            zarr_json(
                s(
                    json!([{"name": "a", "data_type": {"name": "raw_bytes", "configuration": {"length_bytes": 268435456}}},
                          {"name": "b", "data_type": "int8"}]),
                ),
                json!({}),
            ),
            "larger than",
        ),
        (
            "zarr.json",
            zarr_json(s(json!([{"name": "a", "data_type": "int33"}])), json!({})),
            "int33",
        ),
        (
            "zarr.json",
            zarr_json(s(json!([["a", "int8"]])), json!({"a": 300})),
            "fill_value",
        ),
        (
            "zarr.json",
            zarr_json(s(json!([["a", "int8"]])), json!([1])),
            "fill_value",
        ),
    ];
    for (key, doc, want) in cases {
        let store: StoreRef = Arc::new(MemoryStore::new());
        store
            .set(
                &format!("a/{key}"),
                serde_json::to_vec(&doc).unwrap().into(),
            )
            .unwrap();
        let e = Array::open(store, "a")
            .err()
            .unwrap_or_else(|| panic!("{doc}"))
            .to_string();
        assert!(e.contains(want), "{doc}: {e}");
    }
}
