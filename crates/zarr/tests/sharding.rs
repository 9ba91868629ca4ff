//! Sharded arrays (`sharding_indexed`): interoperability with zarr-python
//! 3.4.2 in both directions, the builder's metadata, corrupt shards, and a
//! property round trip.
//!
//! The zarr-python tests need `ZARR_TEST_PYTHON` (an interpreter with
//! zarr-python 3.4.2); without it they print a note and pass without
//! checking. Stores are moved between Python's folder stores and our
//! `MemoryStore` by copying files.

#![allow(clippy::unwrap_used)]

mod common;

use common::counting::CountingStore;

use proptest::prelude::*;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use zarr::array::{Array, ArrayBuilder, ArrayConfig};
use zarr::buffer::BufferPrototype;
use zarr::chunk::{Selection, SliceArg};
use zarr::codec::IndexLocation;
use zarr::dtype::DataType;
use zarr::metadata::{CodecMetadata, NodeMetadata};
use zarr::store::{MemoryStore, Store, StoreRef};

fn run_python(py: &Path, script: &str, args: &[&Path]) -> String {
    common::run_code(py, script, args)
}

/// Writes sharded arrays with zarr-python into `<dir>/store`, and the
/// expected contents next to it (`<name>.bin` little-endian C order, or
/// `<name>.json` for strings), and `cases.json`.
const GENERATE: &str = r#"
import sys, json, warnings
import numpy as np, zarr
from zarr.codecs import ShardingCodec, BytesCodec, GzipCodec, ZstdCodec, TransposeCodec, BloscCodec
warnings.simplefilter("ignore")
root = sys.argv[1]
store = zarr.storage.LocalStore(root + "/store")
rng = np.random.default_rng(42)
cases = []

def add(name, shape, dtype, write=None, **kw):
    a = zarr.create_array(store, name=name, shape=shape, dtype=dtype, **kw)
    d = rng.integers(1, 1000, size=shape).astype(dtype)
    # A block of fill values: missing inner chunks (and whole shards).
    d[tuple(slice(0, max(1, s // 3)) for s in shape)] = 0
    if write is not None:
        full = np.zeros(shape, dtype)
        full[write] = d[write]
        d = full
        a[write] = d[write]
    else:
        a[...] = d
    d.astype(d.dtype.newbyteorder("<")).tofile(f"{root}/{name}.bin")
    cases.append(name)

sh = dict(chunks=(2, 3), shards=(4, 6))
add("end_crc", (10, 13), "uint16", compressors=None, **sh)
add("start", (10, 13), "uint16", compressors=None, chunks=(2, 3), shards={"shape": (4, 6), "index_location": "start"})
add("no_crc", (10, 13), "int64", chunks=(4, 6), compressors=None,
    serializer=ShardingCodec(chunk_shape=(2, 3), codecs=[BytesCodec()], index_codecs=[BytesCodec()]))
add("missing", (10, 13), "uint16", compressors=None, write=(slice(0, 4), slice(None)), **sh)
add("transpose", (10, 13), "int32", filters=[TransposeCodec(order=(1, 0))], **sh)
add("blosc", (10, 13), "float32", compressors=[BloscCodec(cname="lz4", clevel=5, shuffle="shuffle")], **sh)
add("gzip", (10, 13), "uint16", compressors=[GzipCodec(level=3)], **sh)
add("outer_gzip", (10, 13), "uint16", chunks=(4, 6), compressors=[GzipCodec(level=1)],
    serializer=ShardingCodec(chunk_shape=(2, 3), codecs=[BytesCodec(), ZstdCodec(level=3)], index_location="start"))
add("nested", (17, 25), "int32", chunks=(8, 12), compressors=None,
    serializer=ShardingCodec(chunk_shape=(4, 6), codecs=[ShardingCodec(chunk_shape=(2, 3), codecs=[BytesCodec(), ZstdCodec()])]))
add("cube", (9, 8, 7), "uint8", chunks=(2, 2, 7), shards=(4, 4, 7))
# Transposes before the sharding codec (the shard is the transposed chunk;
# zarr-python checks the inner chunk shape against the untransposed one too).
add("outer_transpose", (10, 13), "int32", chunks=(6, 6), compressors=None,
    filters=[TransposeCodec(order=(1, 0))], serializer=ShardingCodec(chunk_shape=(3, 2), codecs=[BytesCodec()]))
add("outer_transpose_part", (10, 13), "int32", chunks=(6, 6), compressors=None, write=(slice(1, 7), slice(2, 11)),
    filters=[TransposeCodec(order=(1, 0))], serializer=ShardingCodec(chunk_shape=(3, 2), codecs=[BytesCodec()]))
add("outer_transpose_3d", (9, 8, 7), "uint16", chunks=(4, 4, 4), compressors=None,
    filters=[TransposeCodec(order=(2, 0, 1))], serializer=ShardingCodec(chunk_shape=(2, 4, 1), codecs=[BytesCodec(), ZstdCodec()]))

a = zarr.create_array(store, name="strings", shape=(7, 5), dtype=str, chunks=(2, 2), shards=(4, 4))
words = np.array([["" if (i < 2 and j < 2) else f"w{i}-{j}-é" * (i % 3) for j in range(5)] for i in range(7)], dtype=object)
a[...] = words
json.dump(words.tolist(), open(f"{root}/strings.json", "w"))
cases.append("strings")
json.dump(cases, open(f"{root}/cases.json", "w"))
"#;

/// Checks every case of `cases.json` read from `<dir>/store` against the
/// expected files in `expected_dir`.
const VERIFY: &str = r#"
import sys, json, warnings
import numpy as np, zarr
warnings.simplefilter("ignore")
root, expected = sys.argv[1], sys.argv[2]
store = zarr.storage.LocalStore(root + "/store", read_only=True)
for name in json.load(open(f"{expected}/cases.json")):
    a = zarr.open_array(store, path=name, mode="r")
    if name == "strings":
        want = np.array(json.load(open(f"{expected}/strings.json")), dtype=object)
        got = a[...]
        assert got.tolist() == want.tolist(), (name, got, want)
    else:
        want = np.fromfile(f"{expected}/{name}.bin", dtype=a.dtype.newbyteorder("<")).reshape(a.shape)
        got = a[...]
        assert np.array_equal(got, want), (name, got, want)
        assert np.array_equal(a[1:-1, ::2], want[1:-1, ::2]), name
    print("ok", name)
"#;

fn load_dir(dir: &Path) -> Arc<MemoryStore> {
    let store = Arc::new(MemoryStore::new());
    fn walk(base: &Path, dir: &Path, store: &MemoryStore) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, store);
            } else {
                let key = p
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                store.set(&key, std::fs::read(&p).unwrap().into()).unwrap();
            }
        }
    }
    walk(dir, dir, &store);
    store
}

fn dump_dir(store: &dyn Store, dir: &Path) {
    for key in store.list().unwrap() {
        let p = dir.join(&key);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        let v = store
            .get(&key, &BufferPrototype::default(), None)
            .unwrap()
            .unwrap();
        std::fs::write(p, &v[..]).unwrap();
    }
}

fn get(store: &dyn Store, key: &str) -> Option<Vec<u8>> {
    store
        .get(key, &BufferPrototype::default(), None)
        .unwrap()
        .map(|b| b.to_vec())
}

/// The elements of `sel` (C order) gathered from a C-order byte buffer.
fn gather(full: &[u8], shape: &[u64], size: usize, sel: &Selection) -> Vec<u8> {
    let r = sel.resolve(shape).unwrap();
    let coords: Vec<Vec<u64>> = r
        .dims
        .iter()
        .map(|d| (0..d.len).map(|k| d.start + k * d.step).collect())
        .collect();
    let mut out = Vec::new();
    let n: u64 = r.dims.iter().map(|d| d.len).product();
    for flat in 0..n {
        let mut rem = flat;
        let mut idx = vec![0u64; shape.len()];
        for d in (0..shape.len()).rev() {
            let len = coords[d].len() as u64;
            idx[d] = coords[d][(rem % len) as usize];
            rem /= len;
        }
        let lin = idx.iter().zip(shape).fold(0u64, |a, (&i, &s)| a * s + i) as usize;
        out.extend_from_slice(&full[lin * size..(lin + 1) * size]);
    }
    out
}

fn selections(ndim: usize) -> Vec<Selection> {
    let s = |v: Vec<SliceArg>| Selection(v);
    let full = || SliceArg::FULL;
    let mut v = vec![Selection::all()];
    let mut a = vec![SliceArg::range(1, -1)];
    let mut b = vec![SliceArg::Slice {
        start: Some(2),
        stop: None,
        step: Some(3),
    }];
    for _ in 1..ndim {
        a.push(SliceArg::Slice {
            start: None,
            stop: None,
            step: Some(2),
        });
        b.push(full());
    }
    v.push(s(a));
    v.push(s(b));
    v
}

fn expected_strings(dir: &Path) -> Vec<Vec<u8>> {
    let words: Vec<Vec<String>> =
        serde_json::from_slice(&std::fs::read(dir.join("strings.json")).unwrap()).unwrap();
    words
        .into_iter()
        .flatten()
        .map(String::into_bytes)
        .collect()
}

/// Check every fixture array in `store` against the expected files.
fn check_all(store: &StoreRef, dir: &Path, cases: &[String]) {
    for name in cases {
        let a = Array::open(store.clone(), name).unwrap();
        assert!(a.inner_chunk_shape().is_some(), "{name}");
        if name == "strings" {
            let got = a.read_ndbuffer(&Selection::all()).unwrap();
            let want = expected_strings(dir);
            match got.data() {
                zarr::buffer::NDData::Variable(v) => assert_eq!(v, &want, "{name}"),
                _ => panic!("{name}: not variable-length"),
            }
            continue;
        }
        let size = a.data_type().size().unwrap();
        let want = std::fs::read(dir.join(format!("{name}.bin"))).unwrap();
        for sel in selections(a.shape().len()) {
            let n = sel.resolve(a.shape()).unwrap().num_elements() as usize;
            let mut got = vec![0u8; n * size];
            a.read_into_bytes(&sel, &mut got)
                .unwrap_or_else(|e| panic!("{name} {sel:?}: {e}"));
            assert_eq!(got, gather(&want, a.shape(), size, &sel), "{name} {sel:?}");
        }
    }
}

#[test]
fn zarr_python_shards_both_directions() {
    let py = common::python();
    if cfg!(target_endian = "big") {
        eprintln!("note: the fixtures are little-endian; skipping on a big-endian machine");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let theirs = tmp.path().join("theirs");
    run_python(&py, GENERATE, &[&theirs]);
    let cases: Vec<String> =
        serde_json::from_slice(&std::fs::read(theirs.join("cases.json")).unwrap()).unwrap();
    let src = load_dir(&theirs.join("store"));
    let src_ref: StoreRef = src.clone();
    // We read what zarr-python wrote.
    check_all(&src_ref, &theirs, &cases);
    // Missing shards: nothing stored below row 4 of "missing".
    assert!(get(&*src, "missing/c/0/0").is_some());
    assert!(get(&*src, "missing/c/1/0").is_none());

    // We write the same arrays (same metadata, same data).
    let ours = Arc::new(MemoryStore::new());
    let ours_ref: StoreRef = ours.clone();
    for name in &cases {
        let meta_key = format!("{name}/zarr.json");
        let meta_bytes = get(&*src, &meta_key).unwrap();
        let meta = match NodeMetadata::from_json_bytes(&meta_bytes).unwrap() {
            NodeMetadata::Array(m) => m,
            _ => panic!("{name} is not an array"),
        };
        // Our metadata serialisation equals theirs.
        let theirs_json: Value = serde_json::from_slice(&meta_bytes).unwrap();
        assert_eq!(meta.to_json(), theirs_json, "{name} metadata");
        ours.set(&meta_key, meta.to_json_bytes().into()).unwrap();
        let a = Array::from_metadata(ours_ref.clone(), name, meta, ArrayConfig::default()).unwrap();
        if name == "strings" {
            a.write_var(&Selection::all(), &expected_strings(&theirs))
                .unwrap();
        } else {
            let want = std::fs::read(theirs.join(format!("{name}.bin"))).unwrap();
            a.write_bytes(&Selection::all(), &want).unwrap();
        }
    }
    check_all(&ours_ref, &theirs, &cases);
    // Uncompressed shards are byte for byte zarr-python's (Morton layout,
    // empty inner chunks left out, empty shards not stored).
    for name in [
        "end_crc",
        "start",
        "no_crc",
        "missing",
        "nested",
        "strings",
        "outer_transpose",
        "outer_transpose_part",
    ] {
        let keys: Vec<String> = src
            .list_prefix(&format!("{name}/c/"))
            .unwrap()
            .into_iter()
            .collect();
        let mut our_keys = ours.list_prefix(&format!("{name}/c/")).unwrap();
        let mut their_keys = keys.clone();
        our_keys.sort();
        their_keys.sort();
        assert_eq!(our_keys, their_keys, "{name} keys");
        if name == "nested" || name == "strings" {
            continue; // zstd inside: the same data, maybe other bytes
        }
        for k in keys {
            assert_eq!(get(&*ours, &k), get(&*src, &k), "{k}");
        }
    }
    let mine = tmp.path().join("mine");
    dump_dir(&*ours, &mine.join("store"));
    let out = run_python(&py, VERIFY, &[&mine, &theirs]);
    assert_eq!(out.matches("ok ").count(), cases.len(), "{out}");
}

/// The metadata zarr-python's `create_array(..., shards=...)` writes.
const CREATE_META: &str = r#"
import sys, json, warnings
import zarr
from zarr.codecs import GzipCodec, TransposeCodec, Crc32cCodec
warnings.simplefilter("ignore")
s = zarr.storage.MemoryStore()
out = {}
def meta(name, **kw):
    a = zarr.create_array(s, name=name, **kw)
    out[name] = json.loads(s._store_dict[name + "/zarr.json"].to_bytes())
meta("default", shape=(100, 60), dtype="uint16", chunks=(10, 20), shards=(50, 60))
meta("compressors", shape=(100, 60), dtype="int32", chunks=(10, 20), shards=(50, 60),
     compressors=[GzipCodec(level=3), Crc32cCodec()], filters=[TransposeCodec(order=(1, 0))])
meta("none", shape=(10,), dtype="uint8", chunks=(2,), shards={"shape": (10,), "index_location": "start"}, compressors=None)
meta("strings", shape=(10,), dtype=str, chunks=(2,), shards=(4,), fill_value="x")
print(json.dumps(out))
"#;

#[test]
fn builder_metadata_matches_zarr_python() {
    let store = || -> StoreRef { Arc::new(MemoryStore::new()) };
    let codec = |v: Value| -> CodecMetadata { serde_json::from_value(v).unwrap() };
    let ours: Vec<(&str, Value)> = vec![
        (
            "default",
            ArrayBuilder::new(vec![100, 60], DataType::UInt16)
                .chunks(vec![10, 20])
                .shards(vec![50, 60])
                .build_metadata()
                .unwrap()
                .to_json(),
        ),
        (
            "compressors",
            ArrayBuilder::new(vec![100, 60], DataType::Int32)
                .chunks(vec![10, 20])
                .shards(vec![50, 60])
                .compressors(vec![
                    codec(json!({"name": "gzip", "configuration": {"level": 3}})),
                    codec(json!({"name": "crc32c"})),
                ])
                .filters(vec![codec(
                    json!({"name": "transpose", "configuration": {"order": [1, 0]}}),
                )])
                .build_metadata()
                .unwrap()
                .to_json(),
        ),
        (
            "none",
            ArrayBuilder::new(vec![10], DataType::UInt8)
                .chunks(vec![2])
                .shards(vec![10])
                .shard_index_location(IndexLocation::Start)
                .compressors(vec![])
                .build_metadata()
                .unwrap()
                .to_json(),
        ),
        (
            "strings",
            ArrayBuilder::new(vec![10], DataType::String)
                .chunks(vec![2])
                .shards(vec![4])
                .fill_value_json(json!("x"))
                .build_metadata()
                .unwrap()
                .to_json(),
        ),
    ];
    // Builder errors.
    let err = |b: ArrayBuilder| b.create(store(), "a").unwrap_err().to_string();
    assert!(err(ArrayBuilder::new(vec![10], DataType::UInt8).shards(vec![4])).contains("explicit"));
    assert!(err(ArrayBuilder::new(vec![10], DataType::UInt8)
        .chunks(vec![3])
        .shards(vec![4]))
    .contains("divisible"));
    let a = ArrayBuilder::new(vec![10], DataType::UInt8)
        .chunks(vec![2])
        .shards(vec![4])
        .create(store(), "a")
        .unwrap();
    assert_eq!(a.chunk_shape(), &[4]);
    assert_eq!(a.inner_chunk_shape(), Some(vec![2]));

    let py = common::python();
    let theirs: Value = serde_json::from_str(run_python(&py, CREATE_META, &[]).trim()).unwrap();
    for (name, m) in ours {
        assert_eq!(m, theirs[name], "{name}");
    }
}

fn sharded(store: StoreRef, shape: Vec<u64>, loc: IndexLocation) -> Array {
    ArrayBuilder::new(shape, DataType::UInt16)
        .chunks(vec![2, 3])
        .shards(vec![4, 6])
        .shard_index_location(loc)
        .compressors(vec![])
        .create(store, "a")
        .unwrap()
}

#[test]
fn missing_inner_chunks_and_shards() {
    let store = Arc::new(MemoryStore::new());
    let a = sharded(store.clone(), vec![10, 13], IndexLocation::End);
    // One element: one inner chunk stored in one shard.
    a.write_slice(&"5, 7".parse().unwrap(), &[9u16]).unwrap();
    let keys = store.list_prefix("a/c/").unwrap();
    assert_eq!(keys, vec!["a/c/1/1".to_string()]);
    // 1 inner chunk of 6 u16 + 4 entries * 16 bytes + crc.
    assert_eq!(get(&*store, "a/c/1/1").unwrap().len(), 12 + 4 * 16 + 4);
    let v = a.read_vec::<u16>(&Selection::all()).unwrap();
    assert_eq!(v.iter().map(|&x| x as u32).sum::<u32>(), 9);
    assert_eq!(v[5 * 13 + 7], 9);
    // Writing the fill value back deletes the shard.
    a.write_slice(&"5, 7".parse().unwrap(), &[0u16]).unwrap();
    assert!(store.list_prefix("a/c/").unwrap().is_empty());
}

#[test]
fn corrupt_shards_name_the_key() {
    for loc in [IndexLocation::End, IndexLocation::Start] {
        let store = Arc::new(MemoryStore::new());
        let a = sharded(store.clone(), vec![8, 12], loc);
        let data: Vec<u16> = (1..=96).collect();
        a.write_slice(&Selection::all(), &data).unwrap();
        let key = "a/c/0/1";
        let good = get(&*store, key).unwrap();
        let read_err = |bytes: Vec<u8>| {
            store.set(key, bytes.into()).unwrap();
            // A partial read (index, then inner chunks) fails too.
            let part = a.read_vec::<u16>(&"0:1, 6:7".parse().unwrap()).unwrap_err();
            assert!(part.to_string().contains(key), "{part}");
            let e = a
                .read_vec::<u16>(&Selection::all())
                .unwrap_err()
                .to_string();
            assert!(e.contains(key), "{e}");
            e
        };
        let e = read_err(good[..good.len() / 2].to_vec());
        assert!(e.contains("truncated") || e.contains("checksum"), "{e}");
        assert!(read_err(good[..10].to_vec()).contains("truncated"));
        let mut bad = good.clone();
        let idx_at = match loc {
            IndexLocation::End => good.len() - 20,
            IndexLocation::Start => 3,
        };
        bad[idx_at] ^= 0x40;
        assert!(read_err(bad).contains("checksum"));
        // Entries rewritten (with a valid checksum) to point outside / overlap.
        let index_len = 4 * 16;
        let idx_start = match loc {
            IndexLocation::End => good.len() - index_len - 4,
            IndexLocation::Start => 0,
        };
        let rewrite = |f: &dyn Fn(&mut [u64])| {
            let mut b = good.clone();
            let mut words: Vec<u64> = b[idx_start..idx_start + index_len]
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
                .collect();
            f(&mut words);
            let raw: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
            b[idx_start..idx_start + index_len].copy_from_slice(&raw);
            let crc = crc32c::crc32c(&raw).to_le_bytes();
            b[idx_start + index_len..idx_start + index_len + 4].copy_from_slice(&crc);
            b
        };
        let len = good.len() as u64;
        assert!(read_err(rewrite(&|w| w[0] = len)).contains("outside"));
        assert!(read_err(rewrite(&|w| w[2] = w[0] + 1)).contains("overlap"));
        assert!(read_err(rewrite(&|w| {
            w[0] = 5;
            w[1] = u64::MAX - 3;
        }))
        .contains("overflow"));
        store.set(key, good.into()).unwrap();
        assert_eq!(a.read_vec::<u16>(&Selection::all()).unwrap(), data);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn sharded_round_trip(
        dims in prop::collection::vec((1u64..=3, 1u64..=3, 1u64..=9), 1..=3),
        start in any::<bool>(),
        seed in any::<u64>(),
        sel_seed in any::<u64>(),
    ) {
        // Per axis: inner chunk, inner chunks per shard, array length.
        let inner: Vec<u64> = dims.iter().map(|d| d.0).collect();
        let shards: Vec<u64> = dims.iter().map(|d| d.0 * d.1).collect();
        let shape: Vec<u64> = dims.iter().map(|d| d.2).collect();
        let store: StoreRef = Arc::new(MemoryStore::new());
        let a = ArrayBuilder::new(shape.clone(), DataType::Int16)
            .chunks(inner)
            .shards(shards)
            .shard_index_location(if start { IndexLocation::Start } else { IndexLocation::End })
            .create(store.clone(), "p")
            .unwrap();
        let n: u64 = shape.iter().product();
        let data: Vec<i16> = (0..n)
            .map(|i| {
                let h = (i ^ seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 50;
                if h % 3 == 0 { 0 } else { h as i16 }
            })
            .collect();
        a.write_slice(&Selection::all(), &data).unwrap();
        let b = Array::open(store, "p").unwrap();
        prop_assert_eq!(b.read_vec::<i16>(&Selection::all()).unwrap(), data.clone());
        // A random box with a random step.
        let sel = Selection(
            shape
                .iter()
                .enumerate()
                .map(|(d, &len)| {
                    let h = sel_seed.rotate_left(d as u32 * 13);
                    let s = (h % len) as i64;
                    let e = s + 1 + ((h >> 8) % (len - s as u64)) as i64;
                    SliceArg::Slice { start: Some(s), stop: Some(e), step: Some(1 + ((h >> 16) % 2) as i64) }
                })
                .collect(),
        );
        let bytes: Vec<u8> = data.iter().flat_map(|x| x.to_ne_bytes()).collect();
        let want = gather(&bytes, &shape, 2, &sel);
        let got: Vec<u8> = b.read_vec::<i16>(&sel).unwrap().iter().flat_map(|x| x.to_ne_bytes()).collect();
        prop_assert_eq!(got, want);
        // A partial write merges with the stored shards.
        let r = sel.resolve(&shape).unwrap();
        let m = r.num_elements() as usize;
        b.write_slice(&sel, &vec![7i16; m]).unwrap();
        let after: Vec<u8> = b.read_vec::<i16>(&sel).unwrap().iter().flat_map(|x| x.to_ne_bytes()).collect();
        prop_assert_eq!(after, 7i16.to_ne_bytes().repeat(m));
    }
}

#[test]
fn concurrent_partial_writes_to_one_shard_lose_nothing() {
    const THREADS: u32 = 8;
    const ROUNDS: u32 = 40;
    for round in 0..3 {
        let store: StoreRef = Arc::new(MemoryStore::new());
        let a = ArrayBuilder::new(vec![32, 32], DataType::UInt32)
            .chunks(vec![8, 8])
            .shards(vec![32, 32])
            .create(store.clone(), "c")
            .unwrap();
        // Thread t owns the columns t, t + 8, ...: every inner chunk of the
        // one shard is shared by all threads.
        std::thread::scope(|s| {
            for t in 0..THREADS {
                // Separate handles share the per-key serialization.
                let a = Array::open(store.clone(), "c").unwrap();
                s.spawn(move || {
                    let sel: Selection = format!("0:32, {t}::8").parse().unwrap();
                    for i in 1..=ROUNDS {
                        a.write_slice(&sel, &[t * 1000 + i; 32 * 4]).unwrap();
                    }
                });
            }
        });
        let v = a.read_vec::<u32>(&Selection::all()).unwrap();
        for (i, &x) in v.iter().enumerate() {
            let col = (i % 32) as u32;
            assert_eq!(x, (col % 8) * 1000 + ROUNDS, "round {round}, element {i}");
        }
    }
}

#[test]
fn reading_one_inner_chunk_fetches_index_and_chunk_only() {
    for loc in [IndexLocation::End, IndexLocation::Start] {
        let store = Arc::new(CountingStore::default());
        let a = ArrayBuilder::new(vec![256, 256], DataType::UInt16)
            .chunks(vec![32, 32])
            .shards(vec![256, 256])
            .shard_index_location(loc)
            .compressors(vec![])
            .create(store.clone(), "big")
            .unwrap();
        let data: Vec<u16> = (0..256 * 256).map(|i| (i % 65521) as u16 + 1).collect();
        a.write_slice(&Selection::all(), &data).unwrap();
        store.reset();
        // Inside inner chunk (1, 2).
        let got = a.read_vec::<u16>(&"40:50, 70:80".parse().unwrap()).unwrap();
        let d = &data;
        let want: Vec<u16> = (40..50)
            .flat_map(|r| (70..80).map(move |c| d[r * 256 + c]))
            .collect();
        assert_eq!(got, want);
        assert_eq!(store.gets(), 2, "{loc:?}");
        let index = 64 * 16 + 4;
        assert_eq!(store.bytes(), index + 32 * 32 * 2, "{loc:?}");
        // Two neighbouring inner chunks (adjacent in Morton order): still one
        // request for both.
        store.reset();
        let got = a.read_vec::<u16>(&"0:32, 10:40".parse().unwrap()).unwrap();
        assert_eq!(got.len(), 32 * 30);
        assert_eq!(got[0], data[10]);
        assert_eq!(store.gets(), 2, "{loc:?}");
        // A missing shard is one request.
        store.reset();
        a.write_slice(&Selection::all(), &vec![0u16; 256 * 256])
            .unwrap();
        store.reset();
        assert!(a
            .read_vec::<u16>(&"1:3, 1:3".parse().unwrap())
            .unwrap()
            .iter()
            .all(|&x| x == 0));
        assert_eq!(store.gets(), 1);
    }
}

#[test]
fn async_partial_shard_reads_fetch_index_and_chunks_only() {
    use zarr::store::SyncToAsync;
    let rt = tokio::runtime::Runtime::new().unwrap();
    for loc in [IndexLocation::End, IndexLocation::Start] {
        let store = Arc::new(CountingStore::default());
        let a = ArrayBuilder::new(vec![300, 256], DataType::UInt16)
            .chunks(vec![32, 32])
            .shards(vec![256, 256])
            .shard_index_location(loc)
            .compressors(vec![])
            .create(store.clone(), "big")
            .unwrap();
        // Rows 256.. form a partial edge shard; leave inner chunks of the
        // first shard missing (the fill value) where the data is zero.
        let data: Vec<u16> = (0..300 * 256)
            .map(|i| {
                if i % 256 < 64 && i / 256 < 64 {
                    0
                } else {
                    (i % 65521) as u16 + 1
                }
            })
            .collect();
        a.write_slice(&Selection::all(), &data).unwrap();
        let b = a
            .to_async(Arc::new(SyncToAsync::new(store.clone())))
            .unwrap();
        rt.block_on(async {
            store.reset();
            let got = b
                .read_vec::<u16>(&"40:50, 70:80".parse().unwrap())
                .await
                .unwrap();
            let d = &data;
            let want: Vec<u16> = (40..50)
                .flat_map(|r| (70..80).map(move |c| d[r * 256 + c]))
                .collect();
            assert_eq!(got, want);
            assert_eq!(store.gets(), 2, "{loc:?}");
            assert_eq!(store.bytes(), 64 * 16 + 4 + 32 * 32 * 2, "{loc:?}");
            let mut sels = selections(2);
            sels.extend(
                ["0:40, 0:40", "250:300, 3:250:7", "299, :", "10:290:3, 200"]
                    .iter()
                    .map(|s| s.parse::<Selection>().unwrap()),
            );
            for sel in sels {
                let want = a.read_vec::<u16>(&sel).unwrap();
                let got = b.read_vec::<u16>(&sel).await.unwrap();
                assert_eq!(got, want, "{loc:?} {sel:?}");
            }
        });
    }
}

/// `write_empty_chunks` applies inside shards as in zarr-python: with false,
/// empty inner chunks are left out and an empty shard is deleted; with true,
/// every inner chunk is stored. Shard bytes match zarr-python's (with
/// ZARR_TEST_PYTHON).
#[test]
fn write_empty_chunks_inside_shards() {
    let dir = tempfile::tempdir().unwrap();
    let mut ours = Vec::new();
    for wec in [false, true] {
        let store: StoreRef = Arc::new(
            zarr::store::LocalStore::new(dir.path().join(format!("rs{wec}")), false).unwrap(),
        );
        let a = ArrayBuilder::new(vec![8, 8], DataType::UInt16)
            .chunks(vec![4, 4])
            .shards(vec![8, 8])
            .compressors(vec![])
            .write_empty_chunks(wec)
            .create(store.clone(), "a")
            .unwrap();
        let mut d = vec![0u16; 64];
        d[0] = 1;
        a.write_slice(&Selection::all(), &d).unwrap();
        let one = get(&*store, "a/c/0/0").unwrap();
        // 4 inner chunks of 32 bytes, or 1; plus the index (64 + 4 bytes).
        assert_eq!(one.len(), if wec { 4 * 32 + 68 } else { 32 + 68 }, "{wec}");
        a.write_slice(&"0:2, 0:2".parse().unwrap(), &[0u16; 4])
            .unwrap();
        let zero = get(&*store, "a/c/0/0");
        assert_eq!(
            zero.as_ref().map(Vec::len),
            wec.then_some(4 * 32 + 68),
            "{wec}"
        );
        assert!(a
            .read_vec::<u16>(&Selection::all())
            .unwrap()
            .iter()
            .all(|&x| x == 0));
        // Reopened with the other setting, reads are the same.
        let b = Array::open_with_config(
            store.clone(),
            "a",
            ArrayConfig {
                write_empty_chunks: !wec,
                ..Default::default()
            },
        )
        .unwrap();
        assert!(b
            .read_vec::<u16>(&Selection::all())
            .unwrap()
            .iter()
            .all(|&x| x == 0));
        ours.push((wec, one, zero));
    }
    let py = common::python();
    let script = r#"
import sys, os
import numpy as np
import zarr
root = sys.argv[1]
for wec in [False, True]:
    p = os.path.join(root, f"py{str(wec).lower()}")
    a = zarr.create_array(p, shape=(8, 8), chunks=(4, 4), shards=(8, 8), dtype="uint16",
                          compressors=None, config={"write_empty_chunks": wec})
    d = np.zeros((8, 8), dtype="uint16"); d[0, 0] = 1
    a[...] = d
    with open(os.path.join(p, "c", "0", "0"), "rb") as f:
        one = f.read()
    with open(os.path.join(root, f"py{str(wec).lower()}.one"), "wb") as f:
        f.write(one)
    a[0:2, 0:2] = 0
print("OK")
"#;
    let out = run_python(&py, script, &[dir.path()]);
    assert!(out.contains("OK"), "{out}");
    for (wec, one, zero) in ours {
        let theirs = std::fs::read(dir.path().join(format!("py{wec}.one"))).unwrap();
        assert_eq!(
            one, theirs,
            "write_empty_chunks={wec}: shard bytes differ from zarr-python's"
        );
        let theirs_zero = std::fs::read(dir.path().join(format!("py{wec}/c/0/0"))).ok();
        assert_eq!(
            zero, theirs_zero,
            "write_empty_chunks={wec}: after writing zeros"
        );
    }
}

/// The inner chunks of a shard (index at the end, default index codecs):
/// the stored bytes of each inner chunk in C order, `None` when missing.
fn inner_chunks(shard: &[u8], n: usize) -> Vec<Option<Vec<u8>>> {
    let index = &shard[shard.len() - 16 * n - 4..shard.len() - 4];
    (0..n)
        .map(|i| {
            let word = |k: usize| {
                u64::from_le_bytes(
                    index[16 * i + 8 * k..16 * i + 8 * k + 8]
                        .try_into()
                        .unwrap(),
                )
            };
            let (o, len) = (word(0), word(1));
            (o != u64::MAX).then(|| shard[o as usize..(o + len) as usize].to_vec())
        })
        .collect()
}

/// A write to part of a shard encodes only the inner chunks it touches; the
/// others keep their stored bytes. The proof: the shard is written with zstd
/// level 1, then the array's metadata is changed to level 19 (decoding does
/// not depend on the level). After a partial write, the untouched inner
/// chunks still hold their level-1 bytes (re-encoding them would give
/// different, level-19 bytes), the touched one holds its level-19 encoding,
/// and zarr-python reads the result exactly.
#[test]
fn partial_shard_writes_reencode_only_touched_inner_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let store: StoreRef = Arc::new(zarr::store::LocalStore::new(dir.path(), false).unwrap());
    let zstd = |level: i64| {
        vec![serde_json::from_value::<CodecMetadata>(
            json!({"name": "zstd", "configuration": {"level": level, "checksum": false}}),
        )
        .unwrap()]
    };
    let create = |name: &str, level: i64| {
        ArrayBuilder::new(vec![128, 128], DataType::UInt16)
            .chunks(vec![32, 32])
            .shards(vec![128, 128])
            .compressors(zstd(level))
            .create(store.clone(), name)
            .unwrap()
    };
    let mut data: Vec<u16> = (0..128 * 128)
        .map(|k| {
            let (i, j) = (k / 128, k % 128);
            (((i / 3) * 31 + (j / 2) * 17) % 1000 + 1) as u16
        })
        .collect();
    let a = create("a", 1);
    a.write_slice(&Selection::all(), &data).unwrap();
    let level1 = inner_chunks(&get(&*store, "a/c/0/0").unwrap(), 16);
    let b = create("b", 19);
    b.write_slice(&Selection::all(), &data).unwrap();
    let level19 = inner_chunks(&get(&*store, "b/c/0/0").unwrap(), 16);
    for (i, (x, y)) in level1.iter().zip(&level19).enumerate() {
        assert_ne!(
            x, y,
            "inner chunk {i}: levels 1 and 19 must differ for this test to prove anything"
        );
    }
    // Switch the array to level 19.
    let mut meta: Value = serde_json::from_slice(&get(&*store, "a/zarr.json").unwrap()).unwrap();
    meta["codecs"][0]["configuration"]["codecs"][1]["configuration"]["level"] = json!(19);
    store
        .set("a/zarr.json", serde_json::to_vec(&meta).unwrap().into())
        .unwrap();
    let a = Array::open(store.clone(), "a").unwrap();

    // Touch inner chunk (1, 1) only.
    a.write_slice(&"40:50, 40:50".parse().unwrap(), &[7u16; 100])
        .unwrap();
    for i in 40..50 {
        for j in 40..50 {
            data[i * 128 + j] = 7;
        }
    }
    let after = inner_chunks(&get(&*store, "a/c/0/0").unwrap(), 16);
    b.write_slice(&Selection::all(), &data).unwrap();
    let want = inner_chunks(&get(&*store, "b/c/0/0").unwrap(), 16);
    for i in 0..16 {
        if i == 5 {
            assert_eq!(
                after[i], want[i],
                "the touched inner chunk is encoded at level 19"
            );
            assert_ne!(after[i], level1[i]);
        } else {
            assert_eq!(
                after[i], level1[i],
                "untouched inner chunk {i} keeps its bytes"
            );
        }
    }
    assert_eq!(a.read_vec::<u16>(&Selection::all()).unwrap(), data);

    // Filling a whole inner chunk (part of the shard) with the fill value
    // leaves it out; the others are kept.
    a.write_slice(&"0:32, 96:128".parse().unwrap(), &[0u16; 32 * 32])
        .unwrap();
    for i in 0..32 {
        for j in 96..128 {
            data[i * 128 + j] = 0;
        }
    }
    let last = inner_chunks(&get(&*store, "a/c/0/0").unwrap(), 16);
    for i in 0..16 {
        match i {
            3 => assert_eq!(last[i], None),
            _ => assert_eq!(last[i], after[i], "inner chunk {i}"),
        }
    }
    assert_eq!(a.read_vec::<u16>(&Selection::all()).unwrap(), data);

    // zarr-python reads the same.
    let bytes: Vec<u8> = data.iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(dir.path().join("want.bin"), bytes).unwrap();
    let py = common::python();
    let script = r#"
import sys, os
import numpy as np
import zarr
root = sys.argv[1]
a = zarr.open_array(os.path.join(root, "a"), mode="r")
want = np.fromfile(os.path.join(root, "want.bin"), dtype="<u2").reshape(128, 128)
print("OK" if np.array_equal(a[...], want) else "DIFFERENT")
"#;
    let out = run_python(&py, script, &[dir.path()]);
    assert!(out.contains("OK"), "{out}");
}

/// A shard behind array-to-array codecs (`transpose`, and the elementwise
/// `cast_value`) is read in parts: one inner chunk costs the index and that
/// chunk; a write to part of a shard changes only the inner chunks it
/// touches, at their place in the index's (transposed) order. Reads equal a
/// reference in every case.
#[test]
fn partial_shards_behind_array_to_array_codecs() {
    let codec = |v: Value| -> CodecMetadata { serde_json::from_value(v).unwrap() };
    // (filters, inner chunk shape in the sharding codec's axis order, bytes
    // per stored element)
    let cases = [
        (
            vec![json!({"name": "transpose", "configuration": {"order": [1, 0]}})],
            vec![16u64, 8],
            2u64,
        ),
        (
            vec![json!({"name": "cast_value", "configuration": {"data_type": "uint32"}})],
            vec![8, 16],
            4,
        ),
        (
            vec![
                json!({"name": "cast_value", "configuration": {"data_type": "uint32"}}),
                json!({"name": "transpose", "configuration": {"order": [1, 0]}}),
            ],
            vec![16, 8],
            4,
        ),
    ];
    for (filters, inner, each) in cases {
        let store = Arc::new(CountingStore::default());
        let sharding = codec(json!({"name": "sharding_indexed", "configuration": {
            "chunk_shape": inner,
            "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}],
            "index_location": "end"}}));
        let a = ArrayBuilder::new(vec![64, 96], DataType::UInt16)
            .chunks(vec![32, 64])
            .filters(filters.iter().cloned().map(codec).collect())
            .serializer(sharding)
            .compressors(vec![])
            .create(store.clone(), "t")
            .unwrap();
        let what = format!("{filters:?}");
        let mut data: Vec<u16> = (0..64 * 96).map(|i| (i % 60001) as u16 + 1).collect();
        a.write_slice(&Selection::all(), &data).unwrap();
        let read = |sel: &str| a.read_vec::<u16>(&sel.parse().unwrap()).unwrap();
        let want = |data: &[u16], rows: std::ops::Range<usize>, cols: std::ops::Range<usize>| {
            rows.flat_map(|r| cols.clone().map(move |c| data[r * 96 + c]))
                .collect::<Vec<u16>>()
        };
        // Rows 9..12, columns 20..22 of shard (0, 0): inner chunk (1, 2) of
        // 8 x 16 array-order inner chunks.
        store.reset();
        assert_eq!(read("9:12, 20:22"), want(&data, 9..12, 20..22), "{what}");
        assert_eq!(store.gets(), 2, "{what}");
        let index = 4 * 4 * 16 + 4;
        assert_eq!(store.bytes(), index + 8 * 16 * each, "{what}");
        // Every selection equals the reference.
        for sel in selections(2) {
            let r = sel.resolve(&[64, 96]).unwrap();
            let mut want = Vec::new();
            let (d0, d1) = (&r.dims[0], &r.dims[1]);
            for i in 0..d0.len {
                for j in 0..d1.len {
                    let (x, y) = (d0.start + i * d0.step, d1.start + j * d1.step);
                    want.push(data[(x * 96 + y) as usize]);
                }
            }
            assert_eq!(a.read_vec::<u16>(&sel).unwrap(), want, "{what} {sel:?}");
        }
        // A write into inner chunk (2, 1) (array order) of shard (1, 1).
        let shard = get(&*store, "t/c/1/1").unwrap();
        a.write_slice(&"49:51, 81:83".parse().unwrap(), &[7u16, 8, 9, 10])
            .unwrap();
        for (k, (r, c)) in [(49, 81), (49, 82), (50, 81), (50, 82)]
            .into_iter()
            .enumerate()
        {
            data[r * 96 + c] = 7 + k as u16;
        }
        assert_eq!(read(":, :"), data, "{what}");
        let after = get(&*store, "t/c/1/1").unwrap();
        let (before, after) = (inner_chunks(&shard, 16), inner_chunks(&after, 16));
        let changed: Vec<usize> = (0..16).filter(|&i| before[i] != after[i]).collect();
        // In the index's axis order, inner chunk (2, 1) untransposed, (1, 2)
        // transposed: C-order entry 9 or 6 of the 4 x 4.
        let touched = if filters.iter().any(|f| f["name"] == "transpose") {
            6
        } else {
            9
        };
        assert_eq!(changed, vec![touched], "{what}");
    }
}
