//! `ZipStore` against zarr-python 3.4.2 and Python's `zipfile`, both
//! directions: arrays zarr-python writes into a `zarr.storage.ZipStore` we
//! read exactly; arrays we write zarr-python reads exactly; archives other
//! tools write (deflated entries, duplicate names, names that would escape a
//! folder) read as zarr-python reads them; a zip64 archive (more than 65535
//! entries) we write passes `zipfile.testzip()`.
//!
//! The interpreter comes from `ZARR_TEST_PYTHON` (set by `scripts/test.sh`)
//! or `<repo>/.venv/bin/python`; without one these tests fail and say how to
//! make one, as `tests/interop.rs` does.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command;
use zarr::array::{Array, ArrayBuilder};
use zarr::buffer::BufferPrototype;
use zarr::chunk::Selection;
use zarr::dtype::DataType;
use zarr::store::{open_store, Store, StoreError, ZipMode, ZipStore};

/// Run a Python script with arguments; its stdout.
fn py(script: &str, args: &[&Path]) -> String {
    let out = Command::new(common::python())
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "python failed:\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[test]
fn zarr_python_writes_we_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("py.zip");
    py(
        r#"
import sys, numpy as np, zarr
store = zarr.storage.ZipStore(sys.argv[1], mode="w")
root = zarr.group(store=store, attributes={"made_by": "zarr-python"})
a = root.create_array("ints", shape=(13, 7), chunks=(5, 3), dtype="int32")
a[:] = np.arange(13 * 7, dtype="int32").reshape(13, 7) - 40
f = root.create_array("floats", shape=(100,), chunks=(30,), dtype="float64",
                      compressors=zarr.codecs.GzipCodec(level=3))
f[:] = np.linspace(0, 1, 100)
s = root.create_array("sharded", shape=(16, 16), chunks=(4, 4), shards=(8, 8), dtype="uint16")
s[:] = np.arange(256, dtype="uint16").reshape(16, 16)
p = root.create_array("partial", shape=(10,), chunks=(4,), dtype="uint8", fill_value=7)
p[0:3] = [1, 2, 3]
store.close()
"#,
        &[&path],
    );
    for url in [
        path.display().to_string(),
        format!("zip://{}", path.display()),
    ] {
        let store = open_store(&url, true).unwrap();
        assert!(store.read_only());
        let root: serde_json::Value = serde_json::from_slice(
            &store
                .get("zarr.json", &BufferPrototype::default(), None)
                .unwrap()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(root["attributes"]["made_by"], "zarr-python");

        let a = Array::open(store.clone(), "ints").unwrap();
        let want: Vec<i32> = (0..13 * 7).map(|i| i - 40).collect();
        assert_eq!(a.read_vec::<i32>(&Selection::all()).unwrap(), want);

        let f = Array::open(store.clone(), "floats").unwrap();
        let got = f.read_vec::<f64>(&Selection::all()).unwrap();
        let want: Vec<f64> = (0..100).map(|i| i as f64 / 99.0).collect();
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-15, "{g} {w}");
        }

        let s = Array::open(store.clone(), "sharded").unwrap();
        let want: Vec<u16> = (0..256).collect();
        assert_eq!(s.read_vec::<u16>(&Selection::all()).unwrap(), want);

        let p = Array::open(store.clone(), "partial").unwrap();
        assert_eq!(
            p.read_vec::<u8>(&Selection::all()).unwrap(),
            vec![1, 2, 3, 7, 7, 7, 7, 7, 7, 7]
        );
        store.close().unwrap();
    }
}

#[test]
fn we_write_zarr_python_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rs.zip");
    let store = open_store(path.to_str().unwrap(), false).unwrap();
    let a = ArrayBuilder::new(vec![13, 7], DataType::Int32)
        .chunks(vec![5, 3])
        .create(store.clone(), "ints")
        .unwrap();
    let data: Vec<i32> = (0..13 * 7).map(|i| i * 3 - 100).collect();
    a.write_slice(&Selection::all(), &data).unwrap();
    // A rewrite: the chunk entries are written again, the last ones win.
    a.write_slice(&Selection::all(), &data).unwrap();
    let f = ArrayBuilder::new(vec![50], DataType::Float32)
        .chunks(vec![16])
        .create(store.clone(), "group/floats")
        .unwrap();
    let fdata: Vec<f32> = (0..50).map(|i| i as f32 * 0.5).collect();
    f.write_slice(&Selection::all(), &fdata).unwrap();
    store.close().unwrap();

    let out = py(
        r#"
import sys, zipfile, numpy as np, zarr
with zipfile.ZipFile(sys.argv[1]) as z:
    assert z.testzip() is None
store = zarr.storage.ZipStore(sys.argv[1], mode="r")
a = zarr.open_array(store=store, path="ints", mode="r")
assert a.shape == (13, 7) and a.chunks == (5, 3) and a.dtype == np.int32
assert (a[:] == (np.arange(13 * 7, dtype="int32") * 3 - 100).reshape(13, 7)).all()
f = zarr.open_array(store=store, path="group/floats", mode="r")
assert (f[:] == np.arange(50, dtype="float32") * 0.5).all()
print("ok")
"#,
        &[&path],
    );
    assert_eq!(out.trim(), "ok");
}

#[test]
fn archives_from_other_tools() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.zip");
    py(
        r#"
import sys, zipfile, warnings
warnings.simplefilter("ignore")
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("folder/", b"")
    z.writestr("stored", b"plain bytes")
    z.writestr("deflated", b"abc" * 1000, compress_type=zipfile.ZIP_DEFLATED)
    z.writestr("dup", b"first")
    z.writestr("dup", b"second, the last")
    z.writestr("../escape", b"evil")
    z.writestr("/absolute", b"evil")
    z.writestr("a/./b", b"evil")
    z.writestr("ok/nested/key", b"fine")
    with z.open("forced64", "w", force_zip64=True) as f:
        f.write(b"zip64 local header")
"#,
        &[&path],
    );
    let s = ZipStore::open(&path, ZipMode::Read).unwrap();
    let p = BufferPrototype::default();
    assert_eq!(
        s.list().unwrap(),
        ["deflated", "dup", "forced64", "ok/nested/key", "stored"]
    );
    assert_eq!(
        &s.get("forced64", &p, None).unwrap().unwrap()[..],
        b"zip64 local header"
    );
    let mut skipped = s.skipped_names().to_vec();
    skipped.sort();
    assert_eq!(skipped, ["../escape", "/absolute", "a/./b"]);
    assert_eq!(
        &s.get("stored", &p, None).unwrap().unwrap()[..],
        b"plain bytes"
    );
    assert_eq!(
        &s.get("deflated", &p, None).unwrap().unwrap()[..],
        "abc".repeat(1000).as_bytes()
    );
    assert_eq!(
        &s.get(
            "deflated",
            &p,
            Some(zarr::store::ByteRequest::Range { start: 1, end: 5 })
        )
        .unwrap()
        .unwrap()[..],
        b"bcab"
    );
    assert_eq!(s.getsize("deflated").unwrap(), 3000);
    assert_eq!(
        &s.get("dup", &p, None).unwrap().unwrap()[..],
        b"second, the last"
    );
    // Appending keeps every entry (the skipped ones too) for other tools.
    let a = ZipStore::open(&path, ZipMode::Append).unwrap();
    a.set("added", b"new".to_vec().into()).unwrap();
    assert!(matches!(
        a.delete("stored"),
        Err(StoreError::Unsupported { .. })
    ));
    a.close().unwrap();
    let out = py(
        r#"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    assert z.testzip() is None
    print(len(z.namelist()), z.read("added").decode(), z.read("dup").decode())
"#,
        &[&path],
    );
    assert_eq!(out.trim(), "11 new second, the last");
}

/// Every size and offset in zip64 fields (as in archives over 4 GiB):
/// zipfile and zarr-python read it.
#[test]
fn zip64_fields_python_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("z64.zip");
    let store: zarr::store::StoreRef = std::sync::Arc::new(
        ZipStore::open(&path, ZipMode::Write)
            .unwrap()
            .with_zip64_threshold(0),
    );
    let a = ArrayBuilder::new(vec![20], DataType::Int64)
        .chunks(vec![6])
        .create(store.clone(), "")
        .unwrap();
    let data: Vec<i64> = (0..20).map(|i| i * i - 7).collect();
    a.write_slice(&Selection::all(), &data).unwrap();
    store.close().unwrap();
    let out = py(
        r#"
import sys, zipfile, numpy as np, zarr
with zipfile.ZipFile(sys.argv[1]) as z:
    assert z.testzip() is None
a = zarr.open_array(store=zarr.storage.ZipStore(sys.argv[1], mode="r"), mode="r")
assert (a[:] == np.arange(20, dtype="int64") ** 2 - 7).all()
print("ok")
"#,
        &[&path],
    );
    assert_eq!(out.trim(), "ok");
}

#[test]
fn zip64_archives_python_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.zip");
    let s = ZipStore::open(&path, ZipMode::Write).unwrap();
    for i in 0..66_000u32 {
        s.set(&format!("c/{i}"), i.to_le_bytes().to_vec().into())
            .unwrap();
    }
    s.close().unwrap();
    let out = py(
        r#"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    assert z.testzip() is None
    names = z.namelist()
    print(len(names), int.from_bytes(z.read("c/65999"), "little"))
"#,
        &[&path],
    );
    assert_eq!(out.trim(), "66000 65999");
}

/// A writer that dies before committing (no `Drop`: `mem::forget`) leaves
/// the archive zarr-python wrote exactly as it was: zipfile and zarr-python
/// still read it. A deflated archive from `zipfile`, cut short, is recovered
/// from its local headers; appending to it commits an archive that zipfile
/// and zarr-python read.
#[test]
fn dead_writers_and_recovered_archives_stay_readable_by_python() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("py.zip");
    py(
        r#"
import sys, numpy as np, zarr
store = zarr.storage.ZipStore(sys.argv[1], mode="w")
a = zarr.create_array(store=store, name="a", shape=(10,), chunks=(4,), dtype="int16")
a[:] = np.arange(10, dtype="int16")
store.close()
"#,
        &[&path],
    );
    let before = std::fs::read(&path).unwrap();
    let store: zarr::store::StoreRef =
        std::sync::Arc::new(ZipStore::open(&path, ZipMode::Append).unwrap());
    let b = ArrayBuilder::new(vec![6], DataType::Int32)
        .chunks(vec![3])
        .create(store.clone(), "b")
        .unwrap();
    b.write_slice(&Selection::all(), &[1, 2, 3, 4, 5, 6])
        .unwrap();
    drop(b);
    std::mem::forget(store);
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let check_a = r#"
import sys, zipfile, numpy as np, zarr
with zipfile.ZipFile(sys.argv[1]) as z:
    assert z.testzip() is None
store = zarr.storage.ZipStore(sys.argv[1], mode="r")
a = zarr.open_array(store=store, path="a", mode="r")
assert (a[:] == np.arange(10, dtype="int16")).all()
print(sorted(n for n in zipfile.ZipFile(sys.argv[1]).namelist()))
"#;
    let out = py(check_a, &[&path]);
    assert!(!out.contains("'b/"), "{out}");

    // zipfile writes deflated entries (sizes in the local headers, as it
    // does on seekable files); cut inside the third entry.
    let cut = dir.path().join("cut.zip");
    py(
        r#"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", compression=zipfile.ZIP_DEFLATED) as z:
    z.writestr("one", b"1" * 5000)
    z.writestr("two", b"22" * 3000)
    z.writestr("three", bytes(range(256)) * 40)
data = open(sys.argv[1], "rb").read()
third = data.index(b"PK\x03\x04", data.index(b"two"))
open(sys.argv[1], "wb").write(data[:third + 40])
"#,
        &[&cut],
    );
    let r = ZipStore::open(&cut, ZipMode::Read).unwrap();
    assert_eq!(r.recovered(), Some(2));
    assert_eq!(r.list().unwrap(), ["one", "two"]);
    let p = BufferPrototype::default();
    assert_eq!(
        r.get("two", &p, None).unwrap().unwrap().to_vec(),
        b"22".repeat(3000)
    );
    let a = ZipStore::open(&cut, ZipMode::Append).unwrap();
    a.set("added", b"after recovery".to_vec().into()).unwrap();
    a.close().unwrap();
    let out = py(
        r#"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    assert z.testzip() is None
    print(z.namelist(), z.read("one") == b"1" * 5000, z.read("added").decode())
"#,
        &[&cut],
    );
    assert_eq!(out.trim(), "['one', 'two', 'added'] True after recovery");
}
