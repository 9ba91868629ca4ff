//! The metadata documents we write are byte for byte those zarr-python 3.4.2
//! writes for the same arrays and groups: the same fields in the same order,
//! Python's `json.dumps(indent=2)` layout, `\uXXXX` escapes for non-ASCII
//! text and Python's float `repr` (`1e-05`, `1e+16`, `-0.0`).
//!
//! zarr-python really runs: it creates every case of the matrix in one
//! directory, we create the same cases in another, and the files are compared.
//!
//! Attributes holding NaN or infinite floats are in the matrix too: Python
//! writes them as the bare tokens `NaN`, `Infinity` and `-Infinity` (not
//! JSON, but what `json.dumps` does), and so do we
//! (`zarr::metadata::json::float`); hierarchies carrying them, consolidated,
//! match as well and read back as numbers on both sides.

#![allow(clippy::unwrap_used)]

mod common;

use serde_json::{json, Map, Value};
use std::path::Path;
use std::sync::Arc;
use zarr::array::{Array, ArrayBuilder};
use zarr::dtype::DataType;
use zarr::group::{consolidate_metadata, Group, UseConsolidated};
use zarr::metadata::json;
use zarr::store::{LocalStore, StoreRef};

/// Attributes that exercise escapes, float formatting and nesting.
fn attributes() -> Value {
    json!({
        "title": "température — 日本語 😀",
        "tab\tand\"quote\\": "line\nbreak \u{1} \u{7f}",
        "floats": [1e-05, 0.1, 1e16, 1e15, -0.0, 2.5e-10, 123456789.125, 5e-324, 1.7976931348623157e308],
        "ints": [0, -1, 9007199254740993_i64, 18446744073709551615_u64, -9223372036854775808_i64],
        "nested": {"a": {"b": [true, false, null, {}, [], {"c": "é"}]}, "empty": ""},
        "ünïcode key": 1.5,
        "non_finite": [json::float(f64::NAN), json::float(f64::INFINITY), json::float(f64::NEG_INFINITY)],
        "nan_string": "NaN"
    })
}

/// The matrix: (name, zarr format, data type, fill value as JSON, attributes).
fn cases() -> Vec<(String, u8, &'static str, Value, Value)> {
    let fills: &[(&str, Value)] = &[
        ("float64", json!("NaN")),
        ("float64", json!("Infinity")),
        ("float64", json!("-Infinity")),
        ("float64", json!(-0.0)),
        ("float64", json!(1e-05)),
        ("float32", json!(1e-05)),
        ("float32", json!("NaN")),
        ("float16", json!(0.5)),
        ("int64", json!(-9223372036854775808_i64)),
        ("int64", json!(9007199254740993_i64)),
        ("uint64", json!(18446744073709551615_u64)),
        ("int8", json!(-7)),
        ("uint16", json!(65535)),
        ("bool", json!(true)),
        ("complex128", json!([1e-05, "NaN"])),
        ("string", json!("é")),
    ];
    let mut out = Vec::new();
    for fmt in [2u8, 3] {
        for (i, (dtype, fill)) in fills.iter().enumerate() {
            // Half the cases carry attributes, half none.
            let attrs = if i % 2 == 0 { attributes() } else { json!({}) };
            out.push((
                format!("v{fmt}_{i}_{dtype}"),
                fmt,
                *dtype,
                fill.clone(),
                attrs,
            ));
        }
    }
    out
}

const PY: &str = r#"
import json, math, sys, zarr
import numpy as np
from zarr.storage import LocalStore

root = zarr.open_group(LocalStore(sys.argv[1]), mode="w", zarr_format=3,
                       attributes=json.loads(sys.argv[3]))
root.create_group("sub", attributes=json.loads(sys.argv[3]))
def fill(dtype, v):
    if v is None:
        return None
    if dtype.startswith("complex"):
        return complex(float(v[0]), float(v[1]))
    if isinstance(v, str) and dtype.startswith("float"):
        return float(v)
    return v
zarr.open_group(LocalStore(sys.argv[1] + "/v2root"), mode="w", zarr_format=2,
                attributes=json.loads(sys.argv[3]))
for name, fmt, dtype, fv, attrs in json.loads(sys.argv[2]):
    where = sys.argv[1] + ("/v2root" if fmt == 2 else "")
    zarr.create_array(LocalStore(where), name=name, shape=(5, 4), chunks=(2, 3),
                      dtype=str if dtype == "string" else dtype,
                      fill_value=fill(dtype, fv), attributes=attrs, zarr_format=fmt)
# Rewritten metadata: attributes updated, then a resize.
for where, name in [(sys.argv[1], "v3_1_float64"), (sys.argv[1] + "/v2root", "v2_1_float64")]:
    a = zarr.open_array(LocalStore(where), path=name)
    a.attrs.update({"added": "ß", "x": 1e-07})
    a.resize((7, 4))
"#;

fn local(dir: &Path) -> StoreRef {
    Arc::new(LocalStore::new(dir, false).unwrap())
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn write_ours(dir: &Path) {
    let store = local(dir);
    let root = Group::create(store.clone(), "", 3, object(attributes()), true).unwrap();
    root.create_group("sub", object(attributes()), false)
        .unwrap();
    let v2 = local(&dir.join("v2root"));
    Group::create(v2.clone(), "", 2, object(attributes()), true).unwrap();
    for (name, fmt, dtype, fill, attrs) in cases() {
        ArrayBuilder::new(vec![5, 4], DataType::from_name(dtype).unwrap())
            .chunks(vec![2, 3])
            .zarr_format(fmt)
            .fill_value_json(fill)
            .attributes(object(attrs))
            .create(if fmt == 2 { v2.clone() } else { store.clone() }, &name)
            .unwrap();
    }
    // Rewritten metadata: attributes updated, then a resize.
    for (store, name) in [(store, "v3_1_float64"), (v2, "v2_1_float64")] {
        let mut a = Array::open(store, name).unwrap();
        a.update_attributes(object(json!({"added": "ß", "x": 1e-07})))
            .unwrap();
        a.resize(vec![7, 4]).unwrap();
    }
}

/// Every file under `dir` (relative path, bytes), sorted.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn metadata_documents_match_zarr_python_byte_for_byte() {
    let theirs = tempfile::tempdir().unwrap();
    let ours = tempfile::tempdir().unwrap();
    // Python's JSON (bare NaN tokens), which its json.loads reads as floats.
    let cases = json::to_string(&Value::Array(
        cases()
            .into_iter()
            .map(|(n, f, d, v, a)| json!([n, f, d, v, a]))
            .collect(),
    ));
    let attrs = json::to_string(&attributes());
    common::run_code(
        &common::python(),
        PY,
        &[theirs.path(), Path::new(&cases), Path::new(&attrs)],
    );
    write_ours(ours.path());
    let (t, o) = (files(theirs.path()), files(ours.path()));
    let names = |f: &[(String, Vec<u8>)]| f.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&o), names(&t), "the same documents");
    let mut differ = Vec::new();
    for ((name, ob), (_, tb)) in o.iter().zip(&t) {
        if ob != tb {
            differ.push(format!(
                "{name}:\n--- zarr-python\n{}\n--- ours\n{}",
                String::from_utf8_lossy(tb),
                String::from_utf8_lossy(ob)
            ));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n\n"));
}

const PY_NON_FINITE: &str = r#"
import json, math, sys, zarr
from zarr.storage import LocalStore

attrs = {"valid_max": float("nan"), "range": [float("-inf"), 1.5, float("inf")],
         "s": "NaN", "nested": {"x": float("nan")}}
if sys.argv[2] == "write":
    for fmt in (2, 3):
        where = LocalStore(f"{sys.argv[1]}/v{fmt}")
        root = zarr.open_group(where, mode="w", zarr_format=fmt, attributes=attrs)
        root.create_group("g", attributes=attrs)
        # zarr.create_array, not g.create_array: for V2 the latter defaults
        # to blosc where the former (and our ArrayBuilder) uses zstd.
        zarr.create_array(where, name="g/a", shape=(3,), chunks=(2,), dtype="float32",
                          fill_value=float("nan"), attributes=attrs, zarr_format=fmt)
        zarr.consolidate_metadata(where)
else:
    def same(a, b):
        if isinstance(a, float) and math.isnan(a):
            return isinstance(b, float) and math.isnan(b)
        if isinstance(a, dict):
            return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        if isinstance(a, list):
            return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
        return type(a) is type(b) and a == b
    for fmt in (2, 3):
        for consolidated in (True, False):
            root = zarr.open_group(LocalStore(f"{sys.argv[1]}/v{fmt}"), mode="r",
                                   use_consolidated=consolidated)
            if consolidated:
                assert root.metadata.consolidated_metadata is not None
            for node in (root, root["g"], root["g/a"]):
                assert same(dict(node.attrs), attrs), (fmt, node.path, dict(node.attrs))
            assert math.isnan(root["g/a"].fill_value)
    print("ok")
"#;

/// The attributes of PY_NON_FINITE, as we hold them.
fn non_finite_attributes() -> Map<String, Value> {
    object(json!({
        "valid_max": json::float(f64::NAN),
        "range": [json::float(f64::NEG_INFINITY), 1.5, json::float(f64::INFINITY)],
        "s": "NaN",
        "nested": {"x": json::float(f64::NAN)}
    }))
}

/// Attributes equal to `non_finite_attributes`, read as numbers.
fn check_non_finite(attrs: &Map<String, Value>, what: &str) {
    assert!(
        json::as_f64(&attrs["valid_max"]).is_some_and(f64::is_nan),
        "{what}"
    );
    assert!(
        json::as_f64(&attrs["nested"]["x"]).is_some_and(f64::is_nan),
        "{what}"
    );
    let range: Vec<Option<f64>> = attrs["range"]
        .as_array()
        .unwrap()
        .iter()
        .map(json::as_f64)
        .collect();
    assert_eq!(
        range,
        [Some(f64::NEG_INFINITY), Some(1.5), Some(f64::INFINITY)],
        "{what}"
    );
    // A string stays a string.
    assert_eq!(attrs["s"], "NaN", "{what}");
    assert_eq!(json::as_f64(&attrs["s"]), None, "{what}");
    assert_eq!(attrs, &non_finite_attributes(), "{what}");
}

#[test]
fn non_finite_attributes_round_trip_with_zarr_python() {
    let theirs = tempfile::tempdir().unwrap();
    let ours = tempfile::tempdir().unwrap();
    let py = common::python();
    common::run_code(&py, PY_NON_FINITE, &[theirs.path(), Path::new("write")]);

    // Theirs, read here: with and without consolidated metadata.
    for fmt in [2u8, 3] {
        let store = local(&theirs.path().join(format!("v{fmt}")));
        for (mode, consolidated) in [
            (UseConsolidated::Required, true),
            (UseConsolidated::Never, false),
        ] {
            let root = Group::open(store.clone(), "", Some(fmt), mode).unwrap();
            let what = format!("v{fmt} consolidated={consolidated}");
            check_non_finite(root.attributes(), &what);
            let members = root.members_metadata(None).unwrap();
            assert_eq!(members.len(), 2, "{what}");
            for (path, meta) in &members {
                check_non_finite(meta.attributes(), &format!("{what} {path}"));
            }
            let a = Array::open(store.clone(), "g/a").unwrap();
            check_non_finite(a.attributes(), &what);
            let values = a.read_vec::<f32>(&zarr::chunk::Selection::all()).unwrap();
            assert!(
                values.len() == 3 && values.iter().all(|x| x.is_nan()),
                "{what}"
            );
        }
    }

    // Ours, written the same way: the same bytes, and zarr-python reads floats.
    for fmt in [2u8, 3] {
        let store = local(&ours.path().join(format!("v{fmt}")));
        let root = Group::create(store.clone(), "", fmt, non_finite_attributes(), true).unwrap();
        let g = root
            .create_group("g", non_finite_attributes(), false)
            .unwrap();
        g.create_array(
            "a",
            &ArrayBuilder::new(vec![3], DataType::Float32)
                .chunks(vec![2])
                .zarr_format(fmt)
                .fill_value_json(json!("NaN"))
                .attributes(non_finite_attributes()),
        )
        .unwrap();
        consolidate_metadata(&store, "", None).unwrap();
    }
    let (t, o) = (files(theirs.path()), files(ours.path()));
    assert_eq!(t.len(), o.len());
    for ((tn, tb), (on, ob)) in t.iter().zip(&o) {
        assert_eq!(tn, on);
        assert!(
            tb == ob,
            "{tn}:\n--- zarr-python\n{}\n--- ours\n{}",
            String::from_utf8_lossy(tb),
            String::from_utf8_lossy(ob)
        );
    }
    let out = common::run_code(&py, PY_NON_FINITE, &[ours.path(), Path::new("read")]);
    assert!(out.contains("ok"), "{out}");
}
