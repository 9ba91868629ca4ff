//! `zarr::api::copy` (copy, copy_all, copy_store) and streaming
//! re-encoding in conversions, checked against zarr-python 3.4.2.

#![allow(clippy::unwrap_used)]

mod common;

use common::counting::CountingStore;

use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use zarr::api::copy::{copy, copy_all, copy_store, CopyOptions, CopyProgress, IfExists, Shards};
use zarr::array::{
    convert_v2_to_v3_with, convert_v2_to_v3_with_progress, Array, ArrayBuilder, ArrayError,
    ConvertOptions, ProgressFn,
};
use zarr::chunk::Selection;
use zarr::dtype::DataType;
use zarr::metadata::CodecMetadata;
use zarr::store::{LocalStore, MemoryStore, StoreRef};

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn mem() -> StoreRef {
    Arc::new(MemoryStore::new())
}

fn local(dir: &Path) -> StoreRef {
    Arc::new(LocalStore::new(dir, false).unwrap())
}

fn zstd(level: i64) -> CodecMetadata {
    CodecMetadata::new(
        "zstd",
        Some(obj(json!({"level": level, "checksum": false}))),
    )
}

/// zarr-python writes a V2 hierarchy with blosc (nested groups, attributes,
/// edge chunks, a NaN fill value, strings, an empty group).
const WRITE_V2_BLOSC: &str = r#"
import sys, numpy as np, zarr, numcodecs
root = zarr.open_group(sys.argv[1], mode="w", zarr_format=2)
root.attrs["title"] = "survey"
blosc = numcodecs.Blosc(cname="lz4", clevel=5, shuffle=numcodecs.Blosc.SHUFFLE)
a = root.create_array("ints", shape=(37, 23), chunks=(10, 6), dtype="<i4", compressors=blosc)
a[:] = np.arange(37 * 23, dtype="<i4").reshape(37, 23) * 7 - 300
a.attrs["units"] = "m"
g = root.create_group("g1")
g.attrs["level"] = 1
f = g.create_array("floats", shape=(50,), chunks=(8,), dtype="<f8", fill_value=np.nan, compressors=blosc)
f[3:45] = np.linspace(-1, 1, 42)
s = g.create_array("names", shape=(9,), chunks=(4,), dtype=str, compressors=blosc)
s[:] = np.array(["a", "", "ünï", "x" * 40, "b", "c", "d", "e", "f"])
g.create_group("empty")
print("OK")
"#;

/// zarr-python checks the copy against the source: same tree, values,
/// attributes; every array of the copy in `fmt` with the expected codecs.
const CHECK_COPY: &str = r#"
import sys, numpy as np, zarr
src = zarr.open_group(sys.argv[1], mode="r")
dst = zarr.open_group(sys.argv[2], mode="r")
kind = sys.argv[3]
assert dst.metadata.zarr_format == (2 if kind == "v2" else 3), dst.metadata.zarr_format
assert dict(dst.attrs) == dict(src.attrs), (dict(dst.attrs), dict(src.attrs))
def walk(g, prefix=""):
    out = {}
    for name, m in g.members():
        out[prefix + name] = m
        if isinstance(m, zarr.Group):
            out.update(walk(m, prefix + name + "/"))
    return out
s, d = walk(src), walk(dst)
assert sorted(s) == sorted(d), (sorted(s), sorted(d))
for k in s:
    assert type(s[k]) is type(d[k]), k
    assert dict(s[k].attrs) == dict(d[k].attrs), k
    if isinstance(s[k], zarr.Array):
        a, b = s[k][...], d[k][...]
        assert a.shape == b.shape, (k, a.shape, b.shape)
        if a.dtype.kind == "f":
            assert np.array_equal(a, b, equal_nan=True), k
        else:
            assert (a == b).all(), k
        if kind == "sharded-zstd":
            assert d[k].shards is not None, k
            names = [type(c).__name__ for c in d[k].compressors]
            assert names == ["ZstdCodec"], (k, names)
print("OK")
"#;

fn read_all_i32(a: &Array) -> Vec<i32> {
    a.read_vec::<i32>(&Selection::all()).unwrap()
}

/// Every array in `a` and `b` has equal values (read by this library).
fn assert_same_arrays(a: &StoreRef, b: &StoreRef, paths: &[&str]) {
    for p in paths {
        let x = Array::open(a.clone(), p).unwrap();
        let y = Array::open(b.clone(), p).unwrap();
        assert_eq!(x.shape(), y.shape(), "{p}");
        assert_eq!(x.data_type(), y.data_type(), "{p}");
        assert_eq!(x.attributes(), y.attributes(), "{p}");
        let (u, v) = (
            x.read_ndbuffer(&Selection::all()).unwrap(),
            y.read_ndbuffer(&Selection::all()).unwrap(),
        );
        assert_eq!(u.data(), v.data(), "{p}");
    }
}

/// The V2 blosc hierarchy zarr-python writes (`WRITE_V2_BLOSC`) in
/// `dir/src.zarr`: its folder and a store over it.
fn v2_blosc_source(dir: &Path) -> (PathBuf, StoreRef) {
    let src_dir = dir.join("src.zarr");
    common::run_code(&common::python(), WRITE_V2_BLOSC, &[&src_dir]);
    let src = local(&src_dir);
    (src_dir, src)
}

/// zarr-python checks the copy in `out_dir` against `src_dir` (`CHECK_COPY`
/// in `mode`).
fn check_copy(src_dir: &Path, out_dir: &Path, mode: &str) {
    let text = common::run_code(
        &common::python(),
        CHECK_COPY,
        &[src_dir, out_dir, Path::new(mode)],
    );
    assert!(text.contains("OK"), "{text}");
}

/// Default options but `if_exists`.
fn on_exists(if_exists: IfExists) -> CopyOptions {
    CopyOptions::default().if_exists(if_exists)
}

const ARRAYS: [&str; 3] = ["ints", "g1/floats", "g1/names"];

#[test]
fn hierarchy_v2_blosc_to_v3_sharded_zstd_through_memory_reads_back_identical() {
    let dir = tempfile::tempdir().unwrap();
    let (src_dir, src) = v2_blosc_source(dir.path());

    // Folder (V2 blosc) -> memory (V3, sharded, zstd), with progress.
    let memory = mem();
    let seen: Arc<Mutex<Vec<CopyProgress>>> = Arc::default();
    let s2 = seen.clone();
    let cb: ProgressFn = Arc::new(move |p: &CopyProgress| s2.lock().unwrap().push(*p));
    let opts = CopyOptions::default()
        .zarr_format(3)
        .chunks(vec![4])
        .shards(Shards::Shape(vec![8]))
        .compressors(vec![zstd(3)])
        .progress(cb);
    // One chunk shape for every array does not fit the 2-d one: a clear
    // error before anything is written.
    let err = copy(&src, "", &memory, "", &opts).unwrap_err();
    assert!(err.to_string().contains("dimensions"), "{err}");
    assert!(memory.list().unwrap().is_empty());
    // Per-array shapes: copy the 1-d arrays' group and the 2-d array separately.
    let o2 = opts
        .clone()
        .chunks(vec![5, 6])
        .shards(Shards::Shape(vec![10, 12]));
    let s = copy(&src, "g1", &memory, "g1", &opts).unwrap();
    assert_eq!((s.arrays, s.groups, s.reencoded), (2, 2, 2));
    seen.lock().unwrap().clear();
    let s = copy(&src, "ints", &memory, "ints", &o2).unwrap();
    assert_eq!((s.arrays, s.reencoded), (1, 1));
    // The root group: its attributes (its members are there already).
    let root = copy_all(
        &src,
        "",
        &memory,
        "",
        &CopyOptions::default()
            .zarr_format(3)
            .if_exists(IfExists::Skip),
    )
    .unwrap();
    assert_eq!((root.skipped, root.groups), (2, 1));
    let a = Array::open(memory.clone(), "ints").unwrap();
    assert_eq!(a.zarr_format(), 3);
    assert_eq!(a.chunk_shape(), &[10, 12]);
    assert_eq!(a.inner_chunk_shape(), Some(vec![5, 6]));
    assert_same_arrays(&src, &memory, &ARRAYS);
    let p = seen.lock().unwrap();
    let last = p.last().copied().unwrap();
    assert_eq!(last.chunks_done, last.chunks_total);
    assert_eq!(last.bytes_done, (37 * 23 * 4) as u64);
    assert!(p.windows(2).all(|w| w[0].bytes_done <= w[1].bytes_done));
    drop(p);

    // Memory -> folder, byte for byte; zarr-python compares with the source.
    let out_dir = dir.path().join("out.zarr");
    let out = local(&out_dir);
    let s = copy(&memory, "", &out, "", &CopyOptions::default()).unwrap();
    assert_eq!(s.reencoded, 0);
    assert_eq!(s.arrays, 3);
    for k in memory.list().unwrap() {
        let x = memory.get(&k, &Default::default(), None).unwrap();
        assert_eq!(x, out.get(&k, &Default::default(), None).unwrap(), "{k}");
    }
    check_copy(&src_dir, &out_dir, "sharded-zstd");
}

#[test]
fn whole_hierarchy_with_one_option_set_and_back_to_v2() {
    let dir = tempfile::tempdir().unwrap();
    let (src_dir, src) = v2_blosc_source(dir.path());
    // V2 blosc -> V3 zstd over the whole hierarchy, chunks kept.
    let memory = mem();
    let o = CopyOptions::default()
        .zarr_format(3)
        .compressors(vec![zstd(5)]);
    let s = copy(&src, "", &memory, "", &o).unwrap();
    assert_eq!((s.arrays, s.groups, s.reencoded), (3, 3, 3));
    assert_same_arrays(&src, &memory, &ARRAYS);
    let v3_dir = dir.path().join("v3.zarr");
    copy(&memory, "", &local(&v3_dir), "", &CopyOptions::default()).unwrap();
    check_copy(&src_dir, &v3_dir, "v3");
    // And back to V2 (zlib) in a folder: zarr-python reads it too.
    let v2_dir = dir.path().join("v2.zarr");
    let o = CopyOptions::default()
        .zarr_format(2)
        .compressor_v2(Some(obj(json!({"id": "zlib", "level": 1}))));
    let s = copy(&local(&v3_dir), "", &local(&v2_dir), "", &o).unwrap();
    assert_eq!(s.reencoded, 3);
    let a = Array::open(local(&v2_dir), "g1/floats").unwrap();
    assert_eq!(a.zarr_format(), 2);
    assert_eq!(
        a.metadata_v2().unwrap().compressor,
        Some(obj(json!({"id": "zlib", "level": 1})))
    );
    check_copy(&src_dir, &v2_dir, "v2");
    // zarr-python 2.18 reads the V2 copy too (ZARR_TEST_PYTHON2).
    let Some(py2) = common::python2() else {
        return;
    };
    let code = r#"
import sys, numpy as np, zarr
assert zarr.__version__.startswith("2.18"), zarr.__version__
g = zarr.open_group(sys.argv[1], mode="r")
assert g.attrs["title"] == "survey"
assert g["ints"].attrs["units"] == "m"
assert (g["ints"][:] == np.arange(37 * 23, dtype="<i4").reshape(37, 23) * 7 - 300).all()
f = g["g1/floats"][:]
assert np.isnan(f[:3]).all() and np.allclose(f[3:45], np.linspace(-1, 1, 42))
assert list(g["g1/names"][:]) == ["a", "", "ünï", "x" * 40, "b", "c", "d", "e", "f"]
assert g["g1/floats"].compressor.codec_id == "zlib"
assert "empty" in g["g1"]
print("OK")
"#;
    let text = common::run_code(Path::new(&py2), code, &[&v2_dir]);
    assert!(text.contains("OK"), "{text}");
}

fn small_hierarchy() -> StoreRef {
    let s = mem();
    let a = ArrayBuilder::new(vec![6, 4], DataType::Int32)
        .chunks(vec![2, 2])
        .attribute("k", json!(1))
        .create(s.clone(), "g/a")
        .unwrap();
    a.write_slice(&Selection::all(), &(0..24).collect::<Vec<i32>>())
        .unwrap();
    ArrayBuilder::new(vec![3], DataType::UInt8)
        .create(s.clone(), "b")
        .unwrap();
    s.set("g/notes.txt", b"not zarr".to_vec().into()).unwrap();
    s
}

#[test]
fn byte_copy_is_identical_and_keeps_unchanged_arrays_as_bytes() {
    let src = small_hierarchy();
    let dst = mem();
    let s = copy(&src, "g", &dst, "x/y", &CopyOptions::default()).unwrap();
    assert_eq!((s.arrays, s.groups, s.reencoded), (1, 1, 0));
    // Missing parents are created.
    assert!(dst.exists("x/zarr.json").unwrap());
    let k = "g/a/c/1/1";
    assert_eq!(
        src.get(k, &Default::default(), None).unwrap(),
        dst.get("x/y/a/c/1/1", &Default::default(), None).unwrap()
    );
    // Options equal to the source's: still a byte copy.
    let same = CopyOptions::default().zarr_format(3).chunks(vec![2, 2]);
    let s = copy(&src, "g/a", &dst, "same", &same).unwrap();
    assert_eq!((s.reencoded, s.arrays), (0, 1));
    assert!(s.objects_copied > 1);
    // copy_store copies every key, Zarr or not.
    let d2 = mem();
    let s = copy_store(&src, "", &d2, "", &CopyOptions::default()).unwrap();
    assert_eq!(s.objects_copied, src.list().unwrap().len());
    assert_eq!(src.list().unwrap(), d2.list().unwrap());
    // Raise refuses before writing; Skip leaves; Replace overwrites.
    assert!(matches!(
        copy_store(&src, "", &d2, "", &CopyOptions::default()),
        Err(ArrayError::AlreadyExists { .. })
    ));
    d2.set("b/zarr.json", b"{}".to_vec().into()).unwrap();
    let s = copy_store(&src, "", &d2, "", &on_exists(IfExists::Skip)).unwrap();
    assert_eq!(s.objects_copied, 0);
    assert_eq!(
        d2.get("b/zarr.json", &Default::default(), None)
            .unwrap()
            .as_deref(),
        Some(&b"{}"[..])
    );
    copy_store(&src, "", &d2, "", &on_exists(IfExists::Replace)).unwrap();
    assert_eq!(
        src.get("b/zarr.json", &Default::default(), None).unwrap(),
        d2.get("b/zarr.json", &Default::default(), None).unwrap()
    );
}

#[test]
fn copy_errors_and_if_exists() {
    let src = small_hierarchy();
    let dst = mem();
    // Nothing at the source path.
    assert!(matches!(
        copy(&src, "nope", &dst, "nope", &CopyOptions::default()),
        Err(ArrayError::NotFound { .. })
    ));
    copy(&src, "g/a", &dst, "a", &CopyOptions::default()).unwrap();
    // Raise (the default).
    assert!(matches!(
        copy(&src, "g/a", &dst, "a", &CopyOptions::default()),
        Err(ArrayError::AlreadyExists { .. })
    ));
    // Skip leaves it; Replace re-creates it with the new encoding.
    let s = copy(&src, "b", &dst, "a", &on_exists(IfExists::Skip)).unwrap();
    assert_eq!(s.skipped, 1);
    assert_eq!(Array::open(dst.clone(), "a").unwrap().shape(), &[6, 4]);
    let s = copy(
        &src,
        "g/a",
        &dst,
        "a",
        &CopyOptions::default()
            .chunks(vec![3, 4])
            .if_exists(IfExists::Replace),
    )
    .unwrap();
    assert_eq!(s.reencoded, 1);
    let a = Array::open(dst.clone(), "a").unwrap();
    assert_eq!(a.chunk_shape(), &[3, 4]);
    assert_eq!(read_all_i32(&a), (0..24).collect::<Vec<i32>>());
    // Old chunk keys are gone (2x2 grid had c/2/1).
    assert!(!dst.exists("a/c/2/1").unwrap());
    // Under an array: refused.
    let err = copy(&src, "b", &dst, "a/b", &CopyOptions::default()).unwrap_err();
    assert!(err.to_string().contains("is an array"), "{err}");
    // copy_all of an array, or of a missing group: errors.
    assert!(copy_all(&src, "b", &dst, "z", &CopyOptions::default()).is_err());
    assert!(matches!(
        copy_all(&src, "missing", &dst, "z", &CopyOptions::default()),
        Err(ArrayError::NotFound { .. })
    ));
    // V3 compressors for a V2 copy without compressor_v2: a clear error.
    let err = copy(
        &src,
        "g/a",
        &mem(),
        "a",
        &CopyOptions::default()
            .zarr_format(2)
            .compressors(vec![zstd(1)]),
    )
    .unwrap_err();
    assert!(err.to_string().contains("compressor_v2"), "{err}");
    // Shards for a V2 copy: refused.
    assert!(copy(
        &src,
        "g/a",
        &mem(),
        "a",
        &CopyOptions::default()
            .zarr_format(2)
            .shards(Shards::Shape(vec![4, 4])),
    )
    .is_err());
}

#[test]
fn copy_all_merges_into_a_group_and_copies_attributes() {
    let src = small_hierarchy();
    let mut g = zarr::metadata::GroupMetadata::default();
    g.attributes.insert("title".into(), json!("t"));
    src.set(
        "zarr.json",
        serde_json::to_vec(&zarr::metadata::NodeMetadata::Group(g).to_json())
            .unwrap()
            .into(),
    )
    .unwrap();
    let dst = mem();
    ArrayBuilder::new(vec![2], DataType::Int8)
        .create(dst.clone(), "into/existing")
        .unwrap();
    let s = copy_all(&src, "", &dst, "into", &CopyOptions::default()).unwrap();
    assert_eq!(s.arrays, 2);
    assert!(dst.exists("into/existing/zarr.json").unwrap());
    assert!(dst.exists("into/g/a/zarr.json").unwrap());
    let root: Value = serde_json::from_slice(
        &dst.get("into/zarr.json", &Default::default(), None)
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(root["attributes"]["title"], "t");
    // without_attrs re-encodes the arrays without their attributes.
    let d2 = mem();
    copy_all(
        &src,
        "",
        &d2,
        "",
        &CopyOptions::default().without_attrs(true),
    )
    .unwrap();
    assert!(Array::open(d2.clone(), "g/a")
        .unwrap()
        .attributes()
        .is_empty());
}

#[test]
fn reencoding_streams_every_chunk_and_reports_progress() {
    let src = mem();
    let a = ArrayBuilder::new(vec![100, 30], DataType::Float32)
        .chunks(vec![7, 30])
        .create(src.clone(), "a")
        .unwrap();
    let v: Vec<f32> = (0..3000).map(|i| i as f32 * 0.5).collect();
    a.write_slice(&Selection::all(), &v).unwrap();
    let dst = mem();
    let reports = Arc::new(AtomicU64::new(0));
    let r = reports.clone();
    let last = Arc::new(Mutex::new(CopyProgress::default()));
    let l = last.clone();
    let o = CopyOptions::default()
        .chunks(vec![10, 10])
        .shards(Shards::Shape(vec![20, 30]))
        .progress(Arc::new(move |p: &CopyProgress| {
            r.fetch_add(1, Ordering::Relaxed);
            *l.lock().unwrap() = *p;
        }));
    copy(&src, "a", &dst, "a", &o).unwrap();
    let b = Array::open(dst.clone(), "a").unwrap();
    assert_eq!(b.read_vec::<f32>(&Selection::all()).unwrap(), v);
    // 5 shards, one report each (plus the plan).
    let p = *last.lock().unwrap();
    assert_eq!((p.chunks_done, p.chunks_total), (5, 5));
    assert_eq!((p.bytes_done, p.bytes_total), (12000, 12000));
    assert!(reports.load(Ordering::Relaxed) >= 5);
    assert_eq!(dst.list_prefix("a/c/").unwrap().len(), 5);
}

/// A V2 array whose codecs need re-encoding (a type-changing quantize,
/// which zarr-python cannot read in V3) converts in place,
/// chunk by chunk, with progress; zarr-python reads the result.
#[test]
fn convert_reencodes_in_place_streaming_and_zarr_python_reads_it() {
    let py = common::python();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.zarr");
    let store = local(&path);
    let a = ArrayBuilder::new(vec![45], DataType::Float64)
        .chunks(vec![10])
        .zarr_format(2)
        .filters_v2(vec![obj(
            json!({"id": "quantize", "digits": 3, "dtype": "<f8", "astype": "<f4"}),
        )])
        .attribute("about", json!("bits"))
        .create(store.clone(), "flags")
        .unwrap();
    let v: Vec<f64> = (0..45).map(|i| f64::from(i % 4) * 0.25).collect();
    a.write_slice(&Selection::all(), &v).unwrap();
    let last = Arc::new(Mutex::new(CopyProgress::default()));
    let l = last.clone();
    let cb: ProgressFn = Arc::new(move |p: &CopyProgress| *l.lock().unwrap() = *p);
    let s = convert_v2_to_v3_with_progress(&store, "", &store, "", false, Some(cb)).unwrap_err();
    // The root is not a node: a clear error naming it.
    assert!(s.to_string().contains(".zarray"), "{s}");
    let cb: ProgressFn = Arc::new(move |p: &CopyProgress| *last.lock().unwrap() = *p);
    let opts = ConvertOptions::new().remove_v2(true).progress(cb);
    let s = convert_v2_to_v3_with(&store, "flags", &store, "flags", &opts).unwrap();
    assert_eq!(s.reencoded, 1);
    assert!(
        s.steps[0].to_string().contains("numcodecs.quantize"),
        "{:?}",
        s.steps
    );
    assert!(!store.exists("flags/.zarray").unwrap());
    assert!(!store.exists("flags/0").unwrap());
    assert_eq!(store.list_prefix("flags/c/").unwrap().len(), 5);
    let b = Array::open(store.clone(), "flags").unwrap();
    assert_eq!(b.zarr_format(), 3);
    assert_eq!(b.read_vec::<f64>(&Selection::all()).unwrap(), v);
    let code = r#"
import sys, numpy as np, zarr
a = zarr.open_array(sys.argv[1], path="flags", mode="r")
assert a.metadata.zarr_format == 3
assert a.attrs["about"] == "bits"
assert (a[:] == (np.arange(45) % 4) * 0.25).all()
print("OK")
"#;
    let text = common::run_code(&py, code, &[&path]);
    assert!(text.contains("OK"), "{text}");
}

#[test]
fn async_twins_copy_between_async_stores() {
    use zarr::api::copy::{copy_all_async, copy_async, copy_store_async};
    use zarr::store::{AsyncStore, SyncToAsync};
    let src = small_hierarchy();
    let dst = mem();
    let a: Arc<dyn AsyncStore> = Arc::new(SyncToAsync::new(src.clone()));
    let b: Arc<dyn AsyncStore> = Arc::new(SyncToAsync::new(dst.clone()));
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let s = copy_async(
            a.clone(),
            "g",
            b.clone(),
            "g2",
            &CopyOptions::default().chunks(vec![3, 4]),
        )
        .await
        .unwrap();
        assert_eq!(s.reencoded, 1);
        let s = copy_all_async(a.clone(), "", b.clone(), "all", &CopyOptions::default())
            .await
            .unwrap();
        assert_eq!(s.arrays, 2);
        let s = copy_store_async(a.clone(), "", b.clone(), "raw", &CopyOptions::default())
            .await
            .unwrap();
        assert_eq!(s.objects_copied, src.list().unwrap().len());
        assert!(matches!(
            copy_async(a, "g", b, "g2", &CopyOptions::default()).await,
            Err(ArrayError::AlreadyExists { .. })
        ));
    });
    let c = Array::open(dst.clone(), "g2/a").unwrap();
    assert_eq!(c.chunk_shape(), &[3, 4]);
    assert_eq!(read_all_i32(&c), (0..24).collect::<Vec<i32>>());
    assert!(dst.exists("raw/g/notes.txt").unwrap());
}

#[test]
fn overlapping_paths_in_one_store_and_zero_dimensional_arrays() {
    let s = small_hierarchy();
    for (a, b) in [("g", "g"), ("g", "g/sub"), ("", "x"), ("g/a", "")] {
        let err = copy(&s, a, &s, b, &on_exists(IfExists::Replace)).unwrap_err();
        assert!(err.to_string().contains("overlap"), "{a} {b}: {err}");
        assert!(copy_store(&s, a, &s, b, &CopyOptions::default()).is_err());
    }
    // Disjoint paths in one store are fine.
    copy(&s, "g", &s, "h", &CopyOptions::default()).unwrap();
    assert_eq!(
        read_all_i32(&Array::open(s.clone(), "h/a").unwrap()),
        (0..24).collect::<Vec<i32>>()
    );
    // A 0-d array re-encodes (one chunk) and byte-copies.
    let z = ArrayBuilder::new(vec![], DataType::Float64)
        .create(s.clone(), "scalar")
        .unwrap();
    z.write_slice(&Selection::all(), &[2.5f64]).unwrap();
    let d = mem();
    let o = CopyOptions::default().compressors(vec![zstd(1)]);
    let r = copy(&s, "scalar", &d, "s", &o).unwrap();
    assert_eq!(r.reencoded, 1);
    let b = Array::open(d.clone(), "s").unwrap();
    assert_eq!(b.read_vec::<f64>(&Selection::all()).unwrap(), vec![2.5]);
    // An empty (zero-length) array copies with no chunks.
    ArrayBuilder::new(vec![0, 3], DataType::UInt8)
        .chunks(vec![2, 2])
        .create(s.clone(), "none")
        .unwrap();
    let r = copy(
        &s,
        "none",
        &d,
        "n",
        &CopyOptions::default().chunks(vec![1, 1]),
    )
    .unwrap();
    assert_eq!(r.reencoded, 1);
    assert_eq!(Array::open(d, "n").unwrap().shape(), &[0, 3]);
}

/// Two store objects over one storage (however the folder is spelt, a link
/// to it, a view of a sub-folder, a zip archive inside the folder) are one
/// storage: copies and conversions that overlap are refused before anything
/// is deleted, and the source stays whole.
#[test]
fn copies_between_aliases_of_one_storage_are_refused_and_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("S");
    let s = local(&root);
    let a = ArrayBuilder::new(vec![6, 4], DataType::Int32)
        .chunks(vec![2, 2])
        .create(s.clone(), "g/a")
        .unwrap();
    a.write_slice(&Selection::all(), &(0..24).collect::<Vec<i32>>())
        .unwrap();
    let before = s.list().unwrap();
    assert!(before.len() > 6, "{before:?}");
    let link = dir.path().join("L");
    std::os::unix::fs::symlink(&root, &link).unwrap();
    let url = format!("file://{}", root.display());
    let aliases: Vec<(StoreRef, &str)> = vec![
        (local(&root.join(".")), ""),
        (local(&root.join("g/..")), ""),
        (local(&link), ""),
        (zarr::store::open_store(&url, false).unwrap(), ""),
        (
            zarr::store::open_store(&format!("{}//", root.display()), false).unwrap(),
            "",
        ),
        // The sub-folder g as its own store: its root is S/g.
        (local(&root.join("g")), "a"),
        (
            Arc::new(zarr::store::PrefixStore::new(local(&link), "g").unwrap()),
            "a/b",
        ),
    ];
    let replace = on_exists(IfExists::Replace);
    for (i, (alias, dst_path)) in aliases.iter().enumerate() {
        let src_path = if dst_path.is_empty() { "" } else { "g" };
        for (sp, dp) in [(src_path, *dst_path), ("g/a", *dst_path)] {
            let err = copy(&s, sp, alias, dp, &replace).unwrap_err();
            assert!(
                err.to_string().contains("overlap"),
                "alias {i} {sp:?} {dp:?}: {err}"
            );
            assert!(copy_store(&s, sp, alias, dp, &CopyOptions::default()).is_err());
            assert!(
                copy(alias, dp, &s, sp, &replace).is_err(),
                "alias {i} reversed"
            );
        }
        assert_eq!(s.list().unwrap(), before, "alias {i} changed the source");
    }
    assert_eq!(
        read_all_i32(&Array::open(s.clone(), "g/a").unwrap()),
        (0..24).collect::<Vec<i32>>()
    );
    // A zip archive inside the source folder is inside the source.
    let zip = zarr::store::open_store(root.join("inner.zip").to_str().unwrap(), false).unwrap();
    assert!(copy(&s, "", &zip, "", &replace).is_err());
    // A disjoint path of the same storage, through an alias, is fine.
    let alias = local(&link);
    copy(&s, "g/a", &alias, "h", &CopyOptions::default()).unwrap();
    assert_eq!(
        read_all_i32(&Array::open(s.clone(), "h").unwrap()),
        (0..24).collect::<Vec<i32>>()
    );
    // A sibling folder whose name extends the source's is not inside it.
    let sibling = local(&dir.path().join("S2"));
    copy(&s, "g", &sibling, "", &replace).unwrap();
}

/// Converting through an alias of the same folder is in place (the V2
/// documents make way for zarr.json, chunks stay), even when the source
/// handle is read-only; converting into a node inside the source is refused.
#[test]
fn conversion_through_an_alias_is_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v2");
    let s = local(&root);
    let a = ArrayBuilder::new(vec![4], DataType::Int16)
        .chunks(vec![2])
        .zarr_format(2)
        .create(s.clone(), "a")
        .unwrap();
    a.write_slice(&"0:4".parse().unwrap(), &[1i16, 2, 3, 4])
        .unwrap();
    let ro: StoreRef = Arc::new(LocalStore::new(&root, true).unwrap());
    let url = format!("file://{}", root.join(".").display());
    let alias = zarr::store::open_store(&url, false).unwrap();
    let err = convert_v2_to_v3_with_progress(&ro, "a", &alias, "a/b", false, None).unwrap_err();
    assert!(err.to_string().contains("inside"), "{err}");
    let rm = ConvertOptions::new().remove_v2(true);
    convert_v2_to_v3_with(&ro, "a", &alias, "a", &rm).unwrap();
    assert!(!s.exists("a/.zarray").unwrap());
    let b = Array::open(s.clone(), "a").unwrap();
    assert_eq!(b.zarr_format(), 3);
    assert_eq!(
        b.read_vec::<i16>(&Selection::all()).unwrap(),
        vec![1, 2, 3, 4]
    );
}

/// Shrinking chunks reads each source chunk once, not once per
/// destination chunk; growing them reads each at most twice per dimension.
#[test]
fn each_source_chunk_is_decoded_a_bounded_number_of_times() {
    let counting = CountingStore::new(mem());
    let src: StoreRef = counting.clone();
    let a = ArrayBuilder::new(vec![100, 90], DataType::UInt16)
        .chunks(vec![50, 45])
        .create(src.clone(), "a")
        .unwrap();
    let v: Vec<u16> = (0..9000).map(|i| i as u16).collect();
    a.write_slice(&Selection::all(), &v).unwrap();
    for (chunks, max_reads) in [(vec![5, 5], 1), (vec![30, 40], 4), (vec![100, 90], 1)] {
        counting.reset();
        let dst = mem();
        copy(
            &src,
            "a",
            &dst,
            "a",
            &CopyOptions::default().chunks(chunks.clone()),
        )
        .unwrap();
        let most = counting.most_reads("a/c/");
        assert!(
            (1..=max_reads).contains(&most),
            "{chunks:?}: a source chunk was read {most} times"
        );
        let b = Array::open(dst, "a").unwrap();
        assert_eq!(
            b.read_vec::<u16>(&Selection::all()).unwrap(),
            v,
            "{chunks:?}"
        );
    }
}

/// The async twins work on a current-thread runtime too (as `#[tokio::test]` uses).
#[test]
fn async_twins_on_a_current_thread_runtime() {
    use zarr::api::copy::copy_async;
    use zarr::store::{AsyncStore, SyncToAsync};
    let src = small_hierarchy();
    let dst = mem();
    let a: Arc<dyn AsyncStore> = Arc::new(SyncToAsync::new(src));
    let b: Arc<dyn AsyncStore> = Arc::new(SyncToAsync::new(dst.clone()));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let o = CopyOptions::default().chunks(vec![6, 4]);
    let s = rt.block_on(copy_async(a, "g", b, "g", &o)).unwrap();
    assert_eq!(s.reencoded, 1);
    let c = Array::open(dst, "g/a").unwrap();
    assert_eq!(read_all_i32(&c), (0..24).collect::<Vec<i32>>());
}
