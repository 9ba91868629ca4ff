//! The array functions of `zarr::api::array` (seed 004): documented
//! behaviour, access modes, `_like` and `from_array` "keep", and
//! zarr-python 3.4.2 reading what they write.

#![allow(clippy::unwrap_used)]

mod common;

use serde_json::{json, Map, Value};
use std::sync::Arc;
use zarr::api::array::{
    array, create, create_array, empty, empty_like, from_array, full, full_like, load, ones,
    ones_like, open_array, open_like, save, save_array, zeros, zeros_like, Chunks, Compressor,
    CreateOptions,
};
use zarr::api::copy::{CopyOptions, IfExists, Shards};
use zarr::api::AccessMode;
use zarr::array::{Array, ArrayBuilder, ArrayError};
use zarr::buffer::{NDBuffer, Order};
use zarr::chunk::Selection;
use zarr::dtype::DataType;
use zarr::metadata::CodecMetadata;
use zarr::store::{LocalStore, MemoryStore, StoreRef};

fn mem() -> StoreRef {
    Arc::new(MemoryStore::new())
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn all() -> Selection {
    Selection::all()
}

#[test]
fn create_legacy_options() {
    let s = mem();
    // Defaults: float64, auto chunks, V3, zstd.
    let a = create(&s, vec![100], &CreateOptions::default().path("d")).unwrap();
    assert_eq!(a.data_type(), DataType::Float64);
    assert_eq!(a.zarr_format(), 3);
    assert_eq!(a.metadata().codecs.last().unwrap().name, "zstd");
    // chunks: Whole, Each (capped), Shape; compressor none; V2 options.
    let o = CreateOptions::new(DataType::Int16)
        .path("w")
        .chunks(Chunks::Whole);
    assert_eq!(create(&s, vec![7, 9], &o).unwrap().chunk_shape(), &[7, 9]);
    let o = CreateOptions::new(DataType::Int16)
        .path("e")
        .chunks(Chunks::Each(4))
        .compressor(Compressor::None);
    let a = create(&s, vec![10, 3], &o).unwrap();
    assert_eq!(a.chunk_shape(), &[4, 3]);
    assert_eq!(a.metadata().codecs.len(), 1);
    let o = CreateOptions::new(DataType::UInt8)
        .path("v2")
        .zarr_format(2)
        .chunks(Chunks::Shape(vec![2, 2]))
        .dimension_separator('/')
        .order(Order::F)
        .compressor(Compressor::V2(obj(json!({"id": "zlib", "level": 1}))))
        .fill_value(Value::Null);
    let a = create(&s, vec![4, 4], &o).unwrap();
    let v2 = a.metadata_v2().unwrap();
    assert_eq!(
        (v2.order, v2.dimension_separator, v2.fill_value.clone()),
        (Order::F, Some('/'), Value::Null)
    );
    a.write_slice(&all(), &(0..16u8).collect::<Vec<_>>())
        .unwrap();
    assert!(s.exists("v2/1/1").unwrap());
    // codecs: the whole V3 chain.
    let o = CreateOptions::new(DataType::Int32).path("c").codecs(vec![
        CodecMetadata::new("transpose", Some(obj(json!({"order": [1, 0]})))),
        CodecMetadata::new("bytes", Some(obj(json!({"endian": "big"})))),
        CodecMetadata::new("gzip", Some(obj(json!({"level": 2})))),
    ]);
    let a = create(&s, vec![3, 2], &o).unwrap();
    let names: Vec<&str> = a
        .metadata()
        .codecs
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["transpose", "bytes", "gzip"]);
    // Errors: existing node, wrong compressor kind, bad chunks.
    assert!(matches!(
        create(&s, vec![3, 2], &o),
        Err(ArrayError::AlreadyExists { .. })
    ));
    assert!(create(&s, vec![3, 2], &o.clone().overwrite(true)).is_ok());
    let bad = CreateOptions::default()
        .path("x")
        .compressor(Compressor::V2(Map::new()));
    assert!(create(&s, vec![3], &bad).is_err());
    let bad = CreateOptions::default()
        .path("y")
        .zarr_format(2)
        .compressor(Compressor::Codecs(vec![]));
    assert!(create(&s, vec![3], &bad).is_err());
    let bad = CreateOptions::default()
        .path("z")
        .chunks(Chunks::Shape(vec![1, 2]));
    assert!(create(&s, vec![3], &bad).is_err());
}

#[test]
fn create_array_and_array_write_data() {
    let s = mem();
    let data = NDBuffer::from_vec(&[2, 3], (0..6i32).collect()).unwrap();
    let b = ArrayBuilder::new(vec![2, 3], DataType::Int32)
        .chunks(vec![1, 3])
        .attribute("a", json!(1));
    let a = create_array(&s, "x", &b, Some(&data)).unwrap();
    assert_eq!(
        a.read_vec::<i32>(&all()).unwrap(),
        (0..6).collect::<Vec<_>>()
    );
    assert_eq!(a.attributes()["a"], 1);
    // Without data: nothing but metadata.
    create_array(&s, "y", &b, None).unwrap();
    assert_eq!(
        s.list_prefix("y/").unwrap(),
        vec!["y/zarr.json".to_string()]
    );
    // Mismatched data: refused before anything is written.
    let f = NDBuffer::from_vec(&[2, 3], vec![0f32; 6]).unwrap();
    assert!(create_array(&s, "z", &b, Some(&f)).is_err());
    assert!(!s.exists("z/zarr.json").unwrap());
    // array(): shape and type from the data.
    let a = array(&s, &data, &CreateOptions::new(DataType::Bool).path("d")).unwrap();
    assert_eq!(a.data_type(), DataType::Int32);
    assert_eq!(a.shape(), &[2, 3]);
    assert_eq!(
        a.read_vec::<i32>(&all()).unwrap(),
        (0..6).collect::<Vec<_>>()
    );
}

#[test]
fn empty_zeros_ones_full() {
    let s = mem();
    let o = |p: &str, d| CreateOptions::new(d).path(p);
    let e = empty(&s, vec![3], &o("e", DataType::Int8)).unwrap();
    assert_eq!(e.read_vec::<i8>(&all()).unwrap(), vec![0; 3]);
    assert_eq!(s.list_prefix("e/").unwrap().len(), 1);
    let z = zeros(&s, vec![2], &o("z", DataType::Complex64)).unwrap();
    assert_eq!(
        z.metadata().fill_value,
        zarr::dtype::FillValue::default_for(DataType::Complex64)
    );
    let one = ones(&s, vec![2], &o("o", DataType::Float32)).unwrap();
    assert_eq!(one.read_vec::<f32>(&all()).unwrap(), vec![1.0, 1.0]);
    let one = ones(&s, vec![2], &o("oi", DataType::UInt64)).unwrap();
    assert_eq!(one.read_vec::<u64>(&all()).unwrap(), vec![1, 1]);
    let f = full(&s, vec![2], json!("NaN"), &o("f", DataType::Float64)).unwrap();
    assert!(f
        .read_vec::<f64>(&all())
        .unwrap()
        .iter()
        .all(|x| x.is_nan()));
    let t = full(&s, vec![1], json!("hi"), &o("t", DataType::String)).unwrap();
    assert_eq!(
        t.read_vec::<String>(&all()).unwrap(),
        vec!["hi".to_string()]
    );
    // Errors: a fill value of the wrong type; ones of strings.
    assert!(full(&s, vec![1], json!("x"), &o("bad", DataType::Int8)).is_err());
    assert!(ones(&s, vec![1], &o("bad", DataType::Bytes)).is_err());
}

#[test]
fn like_functions_keep_shape_dtype_chunks_shards_codecs_fill() {
    let s = mem();
    let src = ArrayBuilder::new(vec![12, 8], DataType::Int16)
        .chunks(vec![2, 4])
        .shards(vec![4, 8])
        .compressors(vec![CodecMetadata::new(
            "gzip",
            Some(obj(json!({"level": 3}))),
        )])
        .fill_value_json(json!(-5))
        .attribute("not", json!("copied"))
        .create(s.clone(), "src")
        .unwrap();
    src.write_slice(&all(), &[3i16; 96]).unwrap();
    let check = |a: &Array| {
        assert_eq!(a.shape(), src.shape());
        assert_eq!(a.data_type(), src.data_type());
        assert_eq!(a.chunk_shape(), src.chunk_shape());
        assert_eq!(a.inner_chunk_shape(), src.inner_chunk_shape());
        assert_eq!(a.metadata().codecs, src.metadata().codecs);
        assert!(a.attributes().is_empty());
        // No data copied.
        assert_eq!(s.list_prefix(&format!("{}/c/", a.path())).unwrap().len(), 0);
    };
    let e = empty_like(&src, &s, "e", false).unwrap();
    check(&e);
    assert_eq!(e.read_vec::<i16>(&all()).unwrap(), vec![-5; 96]);
    let z = zeros_like(&src, &s, "z", false).unwrap();
    assert_eq!(z.read_vec::<i16>(&all()).unwrap(), vec![0; 96]);
    let o = ones_like(&src, &s, "o", false).unwrap();
    assert_eq!(o.read_vec::<i16>(&all()).unwrap(), vec![1; 96]);
    let f = full_like(&src, &s, "f", Some(json!(9)), false).unwrap();
    assert_eq!(f.read_vec::<i16>(&all()).unwrap(), vec![9; 96]);
    let k = full_like(&src, &s, "k", None, false).unwrap();
    assert_eq!(k.read_vec::<i16>(&all()).unwrap(), vec![-5; 96]);
    for a in [&z, &o, &f, &k] {
        check(a);
    }
    // Existing node: refused unless overwrite.
    assert!(matches!(
        zeros_like(&src, &s, "z", false),
        Err(ArrayError::AlreadyExists { .. })
    ));
    assert!(zeros_like(&src, &s, "z", true).is_ok());
    // A V2 source gives V2 copies with its compressor and order.
    let v2 = create(
        &s,
        vec![5],
        &CreateOptions::new(DataType::Float32)
            .path("v2")
            .zarr_format(2)
            .compressor(Compressor::V2(obj(json!({"id": "bz2", "level": 2}))))
            .fill_value(json!("NaN")),
    )
    .unwrap();
    let l = empty_like(&v2, &s, "v2l", false).unwrap();
    assert_eq!(l.zarr_format(), 2);
    assert_eq!(
        l.metadata_v2().unwrap().compressor,
        v2.metadata_v2().unwrap().compressor
    );
    assert!(l
        .read_vec::<f32>(&all())
        .unwrap()
        .iter()
        .all(|x| x.is_nan()));
}

#[test]
fn access_modes() {
    let s = mem();
    let spec = ArrayBuilder::new(vec![4], DataType::UInt8).chunks(vec![2]);
    // r and r+: must exist.
    for m in [AccessMode::Read, AccessMode::ReadWrite] {
        assert!(matches!(
            open_array(&s, "a", m, Some(&spec)),
            Err(ArrayError::NotFound { .. })
        ));
    }
    // a creates, then opens (without the spec too).
    let a = open_array(&s, "a", AccessMode::Append, Some(&spec)).unwrap();
    a.write_slice(&all(), &[1u8, 2, 3, 4]).unwrap();
    let a = open_array(&s, "a", AccessMode::Append, None).unwrap();
    assert_eq!(a.read_vec::<u8>(&all()).unwrap(), vec![1, 2, 3, 4]);
    // a without a spec on a missing array: a clear error.
    let err = open_array(&s, "b", AccessMode::Append, None).unwrap_err();
    assert!(err.to_string().contains("shape"), "{err}");
    // r refuses writes; r+ allows them.
    let r = open_array(&s, "a", AccessMode::Read, None).unwrap();
    assert!(r.write_slice(&all(), &[0u8; 4]).is_err());
    assert_eq!(r.read_vec::<u8>(&all()).unwrap(), vec![1, 2, 3, 4]);
    let rw = open_array(&s, "a", AccessMode::ReadWrite, None).unwrap();
    rw.write_slice(&"0:1".parse().unwrap(), &[9u8]).unwrap();
    // w- fails on an existing node (V3 or V2, array or group).
    assert!(matches!(
        open_array(&s, "a", AccessMode::Create, Some(&spec)),
        Err(ArrayError::AlreadyExists { .. })
    ));
    s.set("g/.zgroup", br#"{"zarr_format": 2}"#.to_vec().into())
        .unwrap();
    assert!(matches!(
        open_array(&s, "g", AccessMode::Create, Some(&spec)),
        Err(ArrayError::AlreadyExists { .. })
    ));
    // ...and a group is not an array for r / a.
    assert!(matches!(
        open_array(&s, "g", AccessMode::Append, Some(&spec)),
        Err(ArrayError::NotAnArray { .. })
    ));
    // w replaces: data gone, new spec.
    let spec2 = ArrayBuilder::new(vec![3], DataType::Int64);
    let w = open_array(&s, "a", AccessMode::Overwrite, Some(&spec2)).unwrap();
    assert_eq!(w.data_type(), DataType::Int64);
    assert_eq!(w.read_vec::<i64>(&all()).unwrap(), vec![0; 3]);
    assert!(s.list_prefix("a/c/").unwrap().is_empty());
    assert!(open_array(&s, "n", AccessMode::Overwrite, None).is_err());
    assert!(open_array(&s, "n", AccessMode::Create, Some(&spec)).is_ok());
    // open_like: creates like the template in a, opens in r.
    let l = open_like(&w, &s, "l", AccessMode::Append).unwrap();
    assert_eq!((l.shape(), l.data_type()), (w.shape(), w.data_type()));
    assert!(open_like(&w, &s, "l", AccessMode::Create).is_err());
    assert!(open_like(&w, &s, "missing", AccessMode::Read).is_err());
    assert!(open_like(&w, &s, "l", AccessMode::Read).is_ok());
}

#[test]
fn from_array_keeps_or_changes_the_encoding() {
    let s = mem();
    let src = ArrayBuilder::new(vec![10, 10], DataType::Float32)
        .chunks(vec![5, 2])
        .shards(vec![5, 10])
        .fill_value_json(json!(1.5))
        .attribute("u", json!("K"))
        .create(s.clone(), "src")
        .unwrap();
    let v: Vec<f32> = (0..100).map(|i| i as f32).collect();
    src.write_slice(&all(), &v).unwrap();
    // keep: chunks, shards, codecs, fill value, attributes.
    let k = from_array(&s, "keep", &src, &CopyOptions::default(), true).unwrap();
    assert_eq!(k.metadata(), src.metadata());
    assert_eq!(k.read_vec::<f32>(&all()).unwrap(), v);
    // given values: unsharded 10x10 gzip.
    let o = CopyOptions::default()
        .chunks(vec![10, 10])
        .shards(Shards::None)
        .compressors(vec![CodecMetadata::new(
            "gzip",
            Some(obj(json!({"level": 1}))),
        )]);
    let g = from_array(&s, "given", &src, &o, true).unwrap();
    assert_eq!(
        (g.chunk_shape(), g.inner_chunk_shape()),
        (&[10u64, 10][..], None)
    );
    assert_eq!(g.metadata().codecs.last().unwrap().name, "gzip");
    assert_eq!(g.read_vec::<f32>(&all()).unwrap(), v);
    // Given filters, serializer, fill value and attributes.
    let o = CopyOptions::default()
        .shards(Shards::None)
        .filters(vec![CodecMetadata::new(
            "transpose",
            Some(obj(json!({"order": [1, 0]}))),
        )])
        .serializer(CodecMetadata::new(
            "bytes",
            Some(obj(json!({"endian": "big"}))),
        ))
        .fill_value(json!(-1.0))
        .attributes(obj(json!({"new": true})));
    let t = from_array(&s, "t", &src, &o, true).unwrap();
    let names: Vec<&str> = t
        .metadata()
        .codecs
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["transpose", "bytes", "zstd"]);
    assert_eq!(t.metadata().codecs[1].get("endian"), Some(&json!("big")));
    assert_eq!(t.attributes(), &obj(json!({"new": true})));
    assert_eq!(t.read_vec::<f32>(&all()).unwrap(), v);
    let e = from_array(&s, "t2", &src, &o, false).unwrap();
    assert_eq!(e.read_vec::<f32>(&all()).unwrap(), vec![-1.0; 100]);
    // write_data false: metadata only.
    let m = from_array(&s, "meta", &src, &CopyOptions::default(), false).unwrap();
    assert!(s.list_prefix("meta/c/").unwrap().is_empty());
    assert_eq!(m.read_vec::<f32>(&all()).unwrap(), vec![1.5; 100]);
    // Existing: Raise, Skip (returns it), Replace.
    assert!(matches!(
        from_array(&s, "meta", &src, &CopyOptions::default(), true),
        Err(ArrayError::AlreadyExists { .. })
    ));
    let o = CopyOptions::default().if_exists(IfExists::Skip);
    let skipped = from_array(&s, "meta", &src, &o, true).unwrap();
    assert_eq!(skipped.read_vec::<f32>(&all()).unwrap(), vec![1.5; 100]);
    let o = CopyOptions::default().if_exists(IfExists::Replace);
    let r = from_array(&s, "meta", &src, &o, true).unwrap();
    assert_eq!(r.read_vec::<f32>(&all()).unwrap(), v);
    // To V2: shards dropped, chunks the inner chunks.
    let o = CopyOptions::default().zarr_format(2);
    let two = from_array(&s, "two", &src, &o, true).unwrap();
    assert_eq!((two.zarr_format(), two.chunk_shape()), (2, &[5u64, 2][..]));
    assert_eq!(two.read_vec::<f32>(&all()).unwrap(), v);
    assert_eq!(two.attributes()["u"], "K");
}

#[test]
fn save_and_load() {
    let s = mem();
    let x = NDBuffer::from_vec(&[2, 2], vec![1u16, 2, 3, 4]).unwrap();
    let y = NDBuffer::from_vec(&[3], vec![true, false, true]).unwrap();
    save_array(&s, "x", &x, 3).unwrap();
    let l = load(&s, "x").unwrap();
    assert_eq!(l.shape(), &[2, 2]);
    assert_eq!(l.to_vec::<u16>().unwrap(), vec![1, 2, 3, 4]);
    // save of one array is save_array; of several, a group.
    save(&s, "one", &[&y], &[], 2).unwrap();
    assert!(s.exists("one/.zarray").unwrap());
    save(&s, "g", &[&x], &[("flags", &y)], 2).unwrap();
    assert!(s.exists("g/.zgroup").unwrap());
    assert_eq!(
        load(&s, "g/arr_0").unwrap().to_vec::<u16>().unwrap(),
        vec![1, 2, 3, 4]
    );
    assert_eq!(
        load(&s, "g/flags").unwrap().to_vec::<bool>().unwrap(),
        vec![true, false, true]
    );
    // save replaces what was there.
    save(&s, "g", &[], &[("only", &y)], 3).unwrap();
    assert!(!s.exists("g/.zgroup").unwrap());
    assert!(!s.exists("g/flags/.zarray").unwrap());
    assert!(s.exists("g/only/zarr.json").unwrap());
    // Errors: nothing to save; load of a group or of nothing.
    assert!(save(&s, "h", &[], &[], 3).is_err());
    assert!(matches!(load(&s, "g"), Err(ArrayError::NotAnArray { .. })));
    assert!(matches!(load(&s, "nope"), Err(ArrayError::NotFound { .. })));
}

/// zarr-python reads what the functions write, V3 and V2.
#[test]
fn zarr_python_reads_what_the_functions_write() {
    let py = common::python();
    let dir = tempfile::tempdir().unwrap();
    let store: StoreRef = Arc::new(LocalStore::new(dir.path(), false).unwrap());
    let x = NDBuffer::from_vec(&[3, 4], (0..12i32).collect()).unwrap();
    save(&store, "", &[], &[("x", &x)], 3).unwrap();
    let fl = full(
        &store,
        vec![5],
        json!(2.5),
        &CreateOptions::new(DataType::Float64)
            .path("full")
            .zarr_format(2),
    )
    .unwrap();
    fl.write_slice(&"0:2".parse().unwrap(), &[7.0, 8.0])
        .unwrap();
    let src = Array::open(store.clone(), "x").unwrap();
    let o = CopyOptions::default()
        .chunks(vec![1, 2])
        .shards(Shards::Shape(vec![3, 4]));
    from_array(&store, "sharded", &src, &o, true).unwrap();
    let code = r#"
import sys, numpy as np, zarr
g = zarr.open_group(sys.argv[1], mode="r")
x = np.arange(12, dtype="i4").reshape(3, 4)
assert (g["x"][:] == x).all()
s = g["sharded"]
assert s.shards == (3, 4) and s.chunks == (1, 2), (s.shards, s.chunks)
assert (s[:] == x).all()
f = zarr.open_array(sys.argv[1], path="full", mode="r")
assert f.metadata.zarr_format == 2 and f.fill_value == 2.5
assert f[:].tolist() == [7.0, 8.0, 2.5, 2.5, 2.5]
print("OK")
"#;
    let out = common::run_code(&py, code, &[dir.path()]);
    assert!(out.contains("OK"), "{out}");
}

/// The `_async` twins over async stores behave as the blocking functions.
#[test]
fn async_twins() {
    use zarr::api::array::{
        array_async, create_array_async, empty_async, from_array_async, full_async,
        full_like_async, load_async, ones_async, ones_like_async, open_array_async,
        open_like_async, save_async, zeros_async, zeros_like_async,
    };
    use zarr::store::{AsyncStore, SyncToAsync};
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sync = mem();
    let store: Arc<dyn AsyncStore> = Arc::new(SyncToAsync::new(sync.clone()));
    rt.block_on(async {
        let o = |p: &str| CreateOptions::new(DataType::Int32).path(p);
        let e = empty_async(store.clone(), vec![4], &o("e")).await.unwrap();
        assert_eq!(e.read_vec::<i32>(&all()).await.unwrap(), vec![0; 4]);
        let z = zeros_async(store.clone(), vec![4], &o("z")).await.unwrap();
        assert_eq!(z.read_vec::<i32>(&all()).await.unwrap(), vec![0; 4]);
        let one = ones_async(store.clone(), vec![4], &o("o")).await.unwrap();
        assert_eq!(one.read_vec::<i32>(&all()).await.unwrap(), vec![1; 4]);
        let f = full_async(store.clone(), vec![4], json!(3), &o("f"))
            .await
            .unwrap();
        assert!(matches!(
            full_async(store.clone(), vec![4], json!(3), &o("f")).await,
            Err(ArrayError::AlreadyExists { .. })
        ));
        let l = zeros_like_async(&f, store.clone(), "zl", false)
            .await
            .unwrap();
        assert_eq!(l.read_vec::<i32>(&all()).await.unwrap(), vec![0; 4]);
        let l = ones_like_async(&f, store.clone(), "ol", false)
            .await
            .unwrap();
        assert_eq!(l.read_vec::<i32>(&all()).await.unwrap(), vec![1; 4]);
        let l = full_like_async(&f, store.clone(), "fl", None, false)
            .await
            .unwrap();
        assert_eq!(l.read_vec::<i32>(&all()).await.unwrap(), vec![3; 4]);
        let data = NDBuffer::from_vec(&[3], vec![7i32, 8, 9]).unwrap();
        let a = array_async(store.clone(), data.clone(), &o("a"))
            .await
            .unwrap();
        assert_eq!(a.read_vec::<i32>(&all()).await.unwrap(), vec![7, 8, 9]);
        let b = ArrayBuilder::new(vec![3], DataType::Int32);
        let c = create_array_async(store.clone(), "c", &b, Some(data.clone()))
            .await
            .unwrap();
        assert_eq!(c.read_vec::<i32>(&all()).await.unwrap(), vec![7, 8, 9]);
        // Modes.
        let r = open_array_async(store.clone(), "c", AccessMode::Read, None)
            .await
            .unwrap();
        assert_eq!(r.read_vec::<i32>(&all()).await.unwrap(), vec![7, 8, 9]);
        assert!(r.write_slice(&all(), vec![0i32; 3]).await.is_err());
        assert!(matches!(
            open_array_async(store.clone(), "c", AccessMode::Create, Some(&b)).await,
            Err(ArrayError::AlreadyExists { .. })
        ));
        assert!(matches!(
            open_array_async(store.clone(), "nope", AccessMode::ReadWrite, None).await,
            Err(ArrayError::NotFound { .. })
        ));
        let w = open_array_async(store.clone(), "c", AccessMode::Overwrite, Some(&b))
            .await
            .unwrap();
        assert_eq!(w.read_vec::<i32>(&all()).await.unwrap(), vec![0; 3]);
        let ol = open_like_async(&a, store.clone(), "ol2", AccessMode::Append)
            .await
            .unwrap();
        assert_eq!(ol.shape(), a.shape());
        // from_array, across two async stores.
        let other: Arc<dyn AsyncStore> = Arc::new(SyncToAsync::new(mem()));
        let k = from_array_async(other.clone(), "k", &a, &CopyOptions::default(), true)
            .await
            .unwrap();
        assert_eq!(k.read_vec::<i32>(&all()).await.unwrap(), vec![7, 8, 9]);
        // save / load.
        save_async(
            other.clone(),
            "g",
            vec![data.clone()],
            vec![("x".to_string(), data.clone())],
            3,
        )
        .await
        .unwrap();
        let x = load_async(other.clone(), "g/x").await.unwrap();
        assert_eq!(x.to_vec::<i32>().unwrap(), vec![7, 8, 9]);
        assert!(matches!(
            load_async(other, "g").await,
            Err(ArrayError::NotAnArray { .. })
        ));
    });
}
