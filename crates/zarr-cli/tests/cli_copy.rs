//! End-to-end tests of `zarr copy` (and `zarr convert`'s progress when it
//! re-encodes), checked with this library and zarr-python 3.4.2.

#![allow(clippy::unwrap_used)]

mod common;

use common::{fails, local, ok_env, python, s, text};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use zarr::array::{Array, ArrayBuilder};
use zarr::chunk::Selection;
use zarr::dtype::DataType;

#[track_caller]
fn ok(args: &[&str]) -> String {
    let (out, err) = ok_env(args, &[]);
    // stderr is not a terminal here: no progress bar.
    assert_eq!(err, "", "nothing on stderr expected");
    out
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// A V2 hierarchy (blosc) written by this library: `g/a` (int32, 30x20,
/// chunks 7x6) with attributes, and an empty group `g/e`.
fn v2_source(dir: &Path) -> (PathBuf, Vec<i32>) {
    let path = dir.join("src.zarr");
    let store = local(&path);
    store
        .set(".zgroup", br#"{"zarr_format": 2}"#.to_vec().into())
        .unwrap();
    store
        .set(".zattrs", br#"{"title": "t"}"#.to_vec().into())
        .unwrap();
    store
        .set("g/.zgroup", br#"{"zarr_format": 2}"#.to_vec().into())
        .unwrap();
    store
        .set("g/e/.zgroup", br#"{"zarr_format": 2}"#.to_vec().into())
        .unwrap();
    let a = ArrayBuilder::new(vec![30, 20], DataType::Int32)
        .chunks(vec![7, 6])
        .zarr_format(2)
        .compressor_v2(Some(obj(json!({
            "id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1, "blocksize": 0
        }))))
        .attribute("units", json!("m"))
        .create(store, "g/a")
        .unwrap();
    let v: Vec<i32> = (0..600).map(|i| i * 3 - 100).collect();
    a.write_slice(&Selection::all(), &v).unwrap();
    (path, v)
}

#[test]
fn copy_reencodes_v2_blosc_to_v3_sharded_zstd_and_zarr_python_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let (src, v) = v2_source(dir.path());
    let dst = dir.path().join("dst.zarr");
    let out = ok(&[
        "copy",
        s(&src),
        s(&dst),
        "--chunks",
        "5,5",
        "--shards",
        "10,10",
        "--compressor",
        "zstd:3",
        "--zarr-format",
        "3",
    ]);
    assert!(out.contains("1 arrays (1 re-encoded), 3 groups"), "{out}");
    assert!(out.contains("/s)"), "throughput expected: {out}");
    let a = Array::open(local(&dst), "g/a").unwrap();
    assert_eq!(a.zarr_format(), 3);
    assert_eq!(a.chunk_shape(), &[10, 10]);
    assert_eq!(a.inner_chunk_shape(), Some(vec![5, 5]));
    assert_eq!(a.read_vec::<i32>(&Selection::all()).unwrap(), v);
    // And back to unsharded chunks with --shards none.
    let flat = dir.path().join("flat.zarr");
    ok(&[
        "copy",
        s(&dst),
        s(&flat),
        "--shards",
        "none",
        "--chunks",
        "15,20",
    ]);
    let f = Array::open(local(&flat), "g/a").unwrap();
    assert_eq!(
        (f.chunk_shape(), f.inner_chunk_shape()),
        (&[15u64, 20][..], None)
    );
    assert_eq!(f.read_vec::<i32>(&Selection::all()).unwrap(), v);
    let code = r#"
import sys, numpy as np, zarr
g = zarr.open_group(sys.argv[1], mode="r")
assert g.metadata.zarr_format == 3 and g.attrs["title"] == "t"
a = g["g/a"]
assert a.shards == (10, 10) and a.chunks == (5, 5), (a.shards, a.chunks)
assert [type(c).__name__ for c in a.compressors] == ["ZstdCodec"]
assert a.attrs["units"] == "m"
assert (a[:] == (np.arange(600, dtype="i4") * 3 - 100).reshape(30, 20)).all()
assert "e" in g["g"]
print("OK")
"#;
    let o = Command::new(python())
        .args(["-c", code, s(&dst)])
        .output()
        .unwrap();
    assert!(
        text(&o.stdout).contains("OK"),
        "{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
}

#[test]
fn copy_byte_for_byte_path_overwrite_and_zip() {
    let dir = tempfile::tempdir().unwrap();
    let (src, v) = v2_source(dir.path());
    // Only --path g/a, unchanged: objects copied, nothing re-encoded.
    let dst = dir.path().join("one.zarr");
    let out = ok(&["copy", s(&src), s(&dst), "--path", "g/a"]);
    assert!(out.contains("(0 re-encoded)"), "{out}");
    assert_eq!(
        std::fs::read(src.join("g/a/0.0")).unwrap(),
        std::fs::read(dst.join("g/a/0.0")).unwrap()
    );
    // Exists: refused (naming the path), then replaced with --overwrite.
    let err = fails(&["copy", s(&src), s(&dst), "--path", "g/a"]);
    assert!(
        err.contains("already exists") && err.contains("g/a"),
        "{err}"
    );
    let out = ok(&[
        "copy",
        s(&src),
        s(&dst),
        "--path",
        "g/a",
        "--chunks",
        "30,20",
        "--overwrite",
    ]);
    assert!(out.contains("(1 re-encoded)"), "{out}");
    let a = Array::open(local(&dst), "g/a").unwrap();
    assert_eq!((a.zarr_format(), a.chunk_shape()), (2, &[30u64, 20][..]));
    assert_eq!(a.read_vec::<i32>(&Selection::all()).unwrap(), v);
    // V2 with another compressor (a numcodecs id).
    let v2 = dir.path().join("v2.zarr");
    ok(&[
        "copy",
        s(&src),
        s(&v2),
        "--zarr-format",
        "2",
        "--compressor",
        "zlib:1",
    ]);
    let a = Array::open(local(&v2), "g/a").unwrap();
    assert_eq!(
        a.metadata_v2().unwrap().compressor,
        Some(obj(json!({"id": "zlib", "level": 1})))
    );
    assert_eq!(a.read_vec::<i32>(&Selection::all()).unwrap(), v);
    // Into a zip archive, read back.
    let zip = dir.path().join("out.zip");
    ok(&["copy", s(&src), s(&zip), "--zarr-format", "3"]);
    let store = zarr::store::open_store(s(&zip), true).unwrap();
    let a = Array::open(store, "g/a").unwrap();
    assert_eq!(a.zarr_format(), 3);
    assert_eq!(a.read_vec::<i32>(&Selection::all()).unwrap(), v);
}

#[test]
fn copy_bad_arguments_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (src, _) = v2_source(dir.path());
    let dst = dir.path().join("d.zarr");
    let (src, dst) = (s(&src), s(&dst));
    let err = fails(&["copy", src, dst, "--chunks", "0,2"]);
    assert!(err.contains("--chunks"), "{err}");
    let err = fails(&["copy", src, dst, "--chunks", "5"]);
    assert!(err.contains("dimensions"), "{err}");
    let err = fails(&["copy", src, dst, "--shards", "x"]);
    assert!(err.contains("--shards"), "{err}");
    let err = fails(&["copy", src, dst, "--compressor", "nope"]);
    assert!(err.contains("--compressor"), "{err}");
    let err = fails(&["copy", src, dst, "--zarr-format", "2", "--shards", "10,10"]);
    assert!(err.contains("sharded"), "{err}");
    let err = fails(&["copy", src, dst, "--path", "missing"]);
    assert!(err.contains("missing"), "{err}");
    let missing = dir.path().join("none.zarr");
    let err = fails(&["copy", s(&missing), dst]);
    assert!(err.contains("no such store"), "{err}");
    // One folder as source and destination: overlapping paths are refused
    // (even with --overwrite, which would delete the source).
    let err = fails(&["copy", src, src, "--path", "g", "--overwrite"]);
    assert!(err.contains("overlap"), "{err}");
    // clap refuses other formats: a usage error, status 1, one line.
    let err = fails(&["copy", src, dst, "--zarr-format", "4"]);
    assert!(err.contains("--zarr-format"), "{err}");
}

/// Every spelling of the source as the destination (`file://`, `./`, `//`,
/// `..`, a symbolic link, a sub-folder) is the same storage: `copy
/// --overwrite` and `convert --overwrite` refuse before deleting anything,
/// and the source stays whole (it used to be deleted through `file://S`).
#[test]
fn copy_onto_an_alias_of_the_source_refuses_and_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let (src, v) = v2_source(dir.path());
    let link = dir.path().join("link.zarr");
    std::os::unix::fs::symlink(&src, &link).unwrap();
    let keys = |p: &Path| zarr::store::Store::list(&*local(p)).unwrap();
    let before = keys(&src);
    let spellings = [
        format!("file://{}", src.display()),
        format!("file://{}/.", src.display()),
        format!("{}/./", src.display()),
        format!("{}//g/..", src.display()),
        s(&link).to_string(),
        format!("file://{}", link.display()),
    ];
    for dst in &spellings {
        let err = fails(&["copy", s(&src), dst, "--overwrite"]);
        assert!(err.contains("overlap"), "{dst}: {err}");
        let err = fails(&["copy", s(&src), dst, "--path", "g/a", "--overwrite"]);
        assert!(err.contains("overlap"), "{dst}: {err}");
        assert_eq!(keys(&src), before, "copy to {dst} changed the source");
    }
    // The sub-folder as a store: the destination lies inside the source.
    let inner = format!("file://{}", src.join("g").display());
    let err = fails(&["copy", s(&src), &inner, "--overwrite"]);
    assert!(err.contains("overlap"), "{err}");
    assert_eq!(keys(&src), before);
    let a = Array::open(local(&src), "g/a").unwrap();
    assert_eq!(a.read_vec::<i32>(&Selection::all()).unwrap(), v);
    // convert through file:// is in place (not a copy onto itself).
    let out = ok(&["convert", s(&src), &spellings[0], "--path", "g/a"]);
    assert!(out.contains("in place"), "{out}");
    let a = Array::open(local(&src), "g/a").unwrap();
    assert_eq!(
        (
            a.zarr_format(),
            a.read_vec::<i32>(&Selection::all()).unwrap()
        ),
        (3, v)
    );
}

#[test]
fn progress_bar_shows_throughput_when_forced_and_convert_reencodes_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let (src, _) = v2_source(dir.path());
    let dst = dir.path().join("p.zarr");
    let (_, err) = ok_env(
        &["copy", s(&src), s(&dst), "--zarr-format", "3"],
        &[("ZARR_CLI_PROGRESS", "always")],
    );
    assert!(err.contains("chunks") && err.contains("/s"), "{err:?}");
    // `zarr convert` of an array that needs re-encoding (a type-changing
    // quantize, which zarr-python cannot read in V3).
    let path = dir.path().join("bits.zarr");
    let a = ArrayBuilder::new(vec![45], DataType::Float64)
        .chunks(vec![10])
        .zarr_format(2)
        .filters_v2(vec![obj(
            json!({"id": "quantize", "digits": 3, "dtype": "<f8", "astype": "<f4"}),
        )])
        .create(local(&path), "")
        .unwrap();
    let v: Vec<f64> = (0..45).map(|i| f64::from(i % 4) * 0.5).collect();
    a.write_slice(&Selection::all(), &v).unwrap();
    let (out, err) = ok_env(
        &["convert", s(&path), s(&path)],
        &[("ZARR_CLI_PROGRESS", "always")],
    );
    assert!(out.contains("(1 re-encoded)"), "{out}");
    assert!(err.contains("5/5 chunks"), "{err:?}");
    let b = Array::open(local(&path), "").unwrap();
    assert_eq!(b.zarr_format(), 3);
    assert_eq!(b.read_vec::<f64>(&Selection::all()).unwrap(), v);
}

/// Re-encoding an array that has no chunks stored: every destination chunk
/// equals the fill value, so its writers take and drop key locks and
/// remove the emptied chunk folder while other threads create files in it.
/// This used to fail every time with `File exists (os error 17)`.
#[test]
fn reencoding_an_array_without_chunks_races_no_folder_removal() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("empty.zarr");
    ArrayBuilder::new(vec![400, 3], DataType::Int32)
        .chunks(vec![10, 3])
        .create(local(&src), "")
        .unwrap();
    for round in 0..20 {
        let dst = dir.path().join(format!("d{round}.zarr"));
        ok(&["copy", s(&src), s(&dst), "--chunks", "2,3"]);
        let a = Array::open(local(&dst), "").unwrap();
        assert_eq!(a.chunk_shape(), &[2, 3]);
        assert_eq!(a.read_vec::<i32>(&Selection::all()).unwrap(), vec![0; 1200]);
    }
}
