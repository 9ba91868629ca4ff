//! Array behaviour: round trips, selections, fill values, empty chunks,
//! resize, attributes, the async API, and bad input.

#![allow(clippy::unwrap_used)]

use ndarray::{ArrayD, IxDyn};
use serde_json::json;
use std::sync::Arc;
use zarr::array::{Array, ArrayBuilder, ArrayError, AsyncArray};
use zarr::buffer::{NDBuffer, Order};
use zarr::chunk::Selection;
use zarr::dtype::DataType;
use zarr::metadata::CodecMetadata;
use zarr::store::{MemoryStore, Store, StoreRef, SyncToAsync};

fn sel(s: &str) -> Selection {
    s.parse().unwrap()
}

fn codec(v: serde_json::Value) -> CodecMetadata {
    serde_json::from_value(v).unwrap()
}

fn mem() -> Arc<MemoryStore> {
    Arc::new(MemoryStore::new())
}

#[test]
fn round_trip_with_edge_chunks_and_strided_reads() {
    let store = mem();
    let a = ArrayBuilder::new(vec![7, 11], DataType::Int32)
        .chunks(vec![3, 4])
        .create(store.clone(), "x")
        .unwrap();
    let data = ArrayD::from_shape_fn(IxDyn(&[7, 11]), |ix| (ix[0] * 100 + ix[1]) as i32);
    a.write(&Selection::all(), data.view()).unwrap();
    let b = Array::open(store.clone(), "x").unwrap();
    assert_eq!(b.read::<i32>(&Selection::all()).unwrap(), data);
    let part = b.read::<i32>(&sel("1:6:2, -3:")).unwrap();
    assert_eq!(part.shape(), &[3, 3]);
    assert_eq!(
        part.as_slice().unwrap(),
        &[108, 109, 110, 308, 309, 310, 508, 509, 510]
    );
    let row = b.read::<i32>(&sel("-1")).unwrap();
    assert_eq!(row.shape(), &[11]);
    assert_eq!(row[[10]], 610);
    // Edge chunks are stored at full chunk size: 3 x 3 chunk grid.
    assert!(store.exists("x/c/2/2").unwrap());
    assert!(!store.exists("x/c/3/0").unwrap());
}

#[test]
fn partial_writes_merge_with_existing_chunks() {
    let store = mem();
    let a = ArrayBuilder::new(vec![10, 10], DataType::UInt8)
        .chunks(vec![4, 4])
        .fill_value_json(json!(7))
        .create(store.clone(), "")
        .unwrap();
    a.fill(&sel("2:9, 3:5"), 1u8).unwrap();
    a.write_slice(&sel("0, ::3"), &[9u8, 9, 9, 9]).unwrap();
    let mut expect = ArrayD::from_elem(IxDyn(&[10, 10]), 7u8);
    for i in 2..9 {
        for j in 3..5 {
            expect[[i, j]] = 1;
        }
    }
    for j in (0..10).step_by(3) {
        expect[[0, j]] = 9;
    }
    assert_eq!(a.read::<u8>(&Selection::all()).unwrap(), expect);
    assert!(store.exists("zarr.json").unwrap());
    assert!(
        !store.exists("c/2/2").unwrap(),
        "untouched chunk must not be written"
    );
}

#[test]
fn empty_chunks_are_not_stored_unless_asked() {
    let store = mem();
    let a = ArrayBuilder::new(vec![8], DataType::Float64)
        .chunks(vec![4])
        .fill_value_json(json!("NaN"))
        .create(store.clone(), "f")
        .unwrap();
    a.write_slice(
        &sel(":"),
        &[
            f64::NAN,
            f64::NAN,
            f64::NAN,
            f64::NAN,
            1.0,
            f64::NAN,
            f64::NAN,
            f64::NAN,
        ],
    )
    .unwrap();
    assert!(!store.exists("f/c/0").unwrap());
    assert!(store.exists("f/c/1").unwrap());
    // Overwriting with fill values deletes the chunk.
    a.fill(&sel("4:8"), f64::NAN).unwrap();
    assert!(!store.exists("f/c/1").unwrap());
    // -0.0 is not the fill value 0.0.
    let z = ArrayBuilder::new(vec![4], DataType::Float32)
        .chunks(vec![4])
        .create(store.clone(), "z")
        .unwrap();
    z.fill(&Selection::all(), -0.0f32).unwrap();
    assert!(store.exists("z/c/0").unwrap());
    let back = z.read_vec::<f32>(&Selection::all()).unwrap();
    assert!(back.iter().all(|v| v.to_bits() == (-0.0f32).to_bits()));
    // write_empty_chunks keeps them.
    let w = ArrayBuilder::new(vec![4], DataType::Int16)
        .chunks(vec![2])
        .write_empty_chunks(true)
        .create(store.clone(), "w")
        .unwrap();
    w.fill(&Selection::all(), 0i16).unwrap();
    assert!(store.exists("w/c/0").unwrap() && store.exists("w/c/1").unwrap());
}

#[test]
fn zero_d_and_zero_length() {
    let store = mem();
    let a = ArrayBuilder::new(vec![], DataType::Complex128)
        .fill_value_json(json!([1.0, "NaN"]))
        .create(store.clone(), "s")
        .unwrap();
    let v = a
        .read_vec::<num_complex::Complex<f64>>(&Selection::all())
        .unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].re, 1.0);
    assert!(v[0].im.is_nan());
    a.write_slice(&Selection::all(), &[num_complex::Complex::new(2.0, 3.0)])
        .unwrap();
    assert!(store.exists("s/c").unwrap());
    let e = ArrayBuilder::new(vec![0, 5], DataType::Int8)
        .create(store.clone(), "e")
        .unwrap();
    assert_eq!(e.chunk_shape(), &[1, 5]);
    assert_eq!(e.read::<i8>(&Selection::all()).unwrap().shape(), &[0, 5]);
    e.write_slice::<i8>(&Selection::all(), &[]).unwrap();
}

#[test]
fn strings_and_bytes() {
    let store = mem();
    let a = ArrayBuilder::new(vec![5], DataType::String)
        .chunks(vec![2])
        .fill_value_json(json!("-"))
        .create(store.clone(), "t")
        .unwrap();
    a.write_slice(
        &sel("1:4"),
        &["α".to_string(), String::new(), "long text".to_string()],
    )
    .unwrap();
    assert_eq!(
        a.read_vec::<String>(&Selection::all()).unwrap(),
        vec!["-", "α", "", "long text", "-"]
    );
    assert_eq!(a.metadata().codecs[0].name, "vlen-utf8");
    let b = ArrayBuilder::new(vec![3], DataType::Bytes)
        .chunks(vec![2])
        .create(store.clone(), "b")
        .unwrap();
    b.write_slice(
        &Selection::all(),
        &[b"\x00\x01".to_vec(), vec![], b"xyz".to_vec()],
    )
    .unwrap();
    assert_eq!(
        b.read_vec::<Vec<u8>>(&sel("::2")).unwrap(),
        vec![b"\x00\x01".to_vec(), b"xyz".to_vec()]
    );
}

#[test]
fn resize_deletes_out_of_bounds_chunks() {
    let store = mem();
    let mut a = ArrayBuilder::new(vec![10, 10], DataType::UInt16)
        .chunks(vec![5, 5])
        .create(store.clone(), "r")
        .unwrap();
    a.fill(&Selection::all(), 3u16).unwrap();
    a.resize(vec![4, 12]).unwrap();
    assert!(store.exists("r/c/0/1").unwrap());
    assert!(!store.exists("r/c/1/0").unwrap());
    let b = Array::open(store.clone(), "r").unwrap();
    assert_eq!(b.shape(), &[4, 12]);
    let v = b.read::<u16>(&sel("0")).unwrap();
    assert_eq!(v.as_slice().unwrap(), &[3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0]);
}

#[test]
fn attributes_and_metadata_round_trip() {
    let store = mem();
    let mut a = ArrayBuilder::new(vec![3], DataType::Bool)
        .attribute("a", json!(1))
        .dimension_names(vec![Some("x".into())])
        .create(store.clone(), "g/sub/arr")
        .unwrap();
    let mut m = serde_json::Map::new();
    m.insert("b".into(), json!([1, 2]));
    a.update_attributes(m).unwrap();
    let b = Array::open(store.clone(), "g/sub/arr").unwrap();
    assert_eq!(b.attributes()["a"], json!(1));
    assert_eq!(b.attributes()["b"], json!([1, 2]));
    assert_eq!(
        b.metadata().dimension_names,
        Some(vec![Some("x".to_string())])
    );
    // bool uses the bytes codec without configuration, like zarr-python.
    assert_eq!(b.metadata().codecs[0].configuration, None);
    // Parent groups were created.
    let g: serde_json::Value = serde_json::from_slice(
        &store
            .get("g/zarr.json", &Default::default(), None)
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(g["node_type"], "group");
    assert!(store.exists("zarr.json").unwrap());
    // Creating over an existing node needs overwrite.
    assert!(matches!(
        ArrayBuilder::new(vec![1], DataType::Bool).create(store.clone(), "g/sub/arr"),
        Err(ArrayError::AlreadyExists { .. })
    ));
    ArrayBuilder::new(vec![1], DataType::Bool)
        .overwrite(true)
        .create(store.clone(), "g/sub/arr")
        .unwrap();
    // A node under an array is refused.
    assert!(ArrayBuilder::new(vec![1], DataType::Bool)
        .create(store, "g/sub/arr/child")
        .is_err());
}

#[test]
fn ndbuffer_orders() {
    let store = mem();
    let a = ArrayBuilder::new(vec![2, 3], DataType::Int64)
        .chunks(vec![1, 2])
        .order(Order::F)
        .create(store.clone(), "o")
        .unwrap();
    let c = NDBuffer::from_vec(&[2, 3], vec![0i64, 1, 2, 3, 4, 5]).unwrap();
    a.write_ndbuffer(&Selection::all(), &c.to_order(Order::F))
        .unwrap();
    let f = a.read_ndbuffer(&Selection::all()).unwrap();
    assert_eq!(f.order(), Order::F);
    assert_eq!(f.to_vec::<i64>().unwrap(), vec![0, 3, 1, 4, 2, 5]);
    assert_eq!(
        f.to_order(Order::C).to_vec::<i64>().unwrap(),
        vec![0, 1, 2, 3, 4, 5]
    );
}

#[test]
fn every_codec_chain_round_trips() {
    let chains = vec![
        vec![codec(
            json!({"name": "bytes", "configuration": {"endian": "big"}}),
        )],
        vec![
            codec(json!({"name": "transpose", "configuration": {"order": [1, 0]}})),
            codec(json!({"name": "bytes", "configuration": {"endian": "little"}})),
            codec(json!({"name": "gzip", "configuration": {"level": 1}})),
        ],
        vec![
            codec(json!({"name": "bytes", "configuration": {"endian": "little"}})),
            codec(
                json!({"name": "blosc", "configuration": {"cname": "lz4", "clevel": 5, "shuffle": "bitshuffle", "typesize": 4, "blocksize": 0}}),
            ),
            codec(json!({"name": "crc32c"})),
        ],
        vec![
            codec(json!({"name": "bytes", "configuration": {"endian": "big"}})),
            codec(json!({"name": "zstd", "configuration": {"level": 3, "checksum": true}})),
        ],
    ];
    for (i, chain) in chains.into_iter().enumerate() {
        let store = mem();
        let (ser, comp) = if chain[0].name == "transpose" {
            (chain[1].clone(), chain[2..].to_vec())
        } else {
            (chain[0].clone(), chain[1..].to_vec())
        };
        let mut b = ArrayBuilder::new(vec![9, 13], DataType::Float32)
            .chunks(vec![4, 5])
            .serializer(ser)
            .compressors(comp);
        if i == 1 {
            b = b.filters(vec![chain[0].clone()]);
        }
        let a = b.create(store.clone(), "a").unwrap();
        let data = ArrayD::from_shape_fn(IxDyn(&[9, 13]), |ix| (ix[0] as f32) * 0.5 - ix[1] as f32);
        a.write(&Selection::all(), data.view()).unwrap();
        assert_eq!(
            Array::open(store, "a")
                .unwrap()
                .read::<f32>(&Selection::all())
                .unwrap(),
            data,
            "chain {i}"
        );
    }
}

#[test]
fn async_api_matches_blocking() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mem = mem();
    let store = Arc::new(SyncToAsync::new(mem.clone()));
    rt.block_on(async {
        let b = ArrayBuilder::new(vec![20, 20], DataType::UInt32).chunks(vec![6, 7]);
        let mut a = AsyncArray::create(&b, store.clone(), "a").await.unwrap();
        let data = ArrayD::from_shape_fn(IxDyn(&[20, 20]), |ix| (ix[0] * 20 + ix[1]) as u32);
        a.write(&Selection::all(), data.clone()).await.unwrap();
        a.write_slice(&sel("3:5, 3:5"), vec![0u32; 4])
            .await
            .unwrap();
        let back = a.read::<u32>(&sel("2:6, 2:6")).await.unwrap();
        let sync = Array::open(mem.clone(), "a")
            .unwrap()
            .read::<u32>(&sel("2:6, 2:6"))
            .unwrap();
        assert_eq!(back, sync);
        assert_eq!(back[[1, 1]], 0);
        assert_eq!(back[[0, 0]], 42);
        let s = AsyncArray::create(
            &ArrayBuilder::new(vec![3], DataType::String).chunks(vec![2]),
            store.clone(),
            "s",
        )
        .await
        .unwrap();
        s.write_slice(
            &Selection::all(),
            vec!["a".to_string(), "b".into(), "c".into()],
        )
        .await
        .unwrap();
        assert_eq!(
            s.read_vec::<String>(&sel("1:")).await.unwrap(),
            vec!["b", "c"]
        );
        a.resize(vec![5, 5]).await.unwrap();
        assert!(!mem.exists("a/c/3/0").unwrap());
    });
}

// ---- bad input ----

fn corrupt(store: &MemoryStore, key: &str, f: impl Fn(Vec<u8>) -> Vec<u8>) {
    let v = store
        .get(key, &Default::default(), None)
        .unwrap()
        .unwrap()
        .to_vec();
    store.set(key, f(v).into()).unwrap();
}

fn err_of(a: &Array) -> String {
    match a.read_vec::<u16>(&Selection::all()) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("expected an error"),
    }
}

#[test]
fn corrupt_chunks_give_errors_naming_the_key() {
    let store = mem();
    let comp = |v| vec![codec(v)];
    for (name, compressors) in [
        (
            "zstd",
            comp(json!({"name": "zstd", "configuration": {"level": 0, "checksum": false}})),
        ),
        ("crc", vec![codec(json!({"name": "crc32c"}))]),
        ("raw", vec![]),
    ] {
        let a = ArrayBuilder::new(vec![100], DataType::UInt16)
            .chunks(vec![50])
            .compressors(compressors)
            .create(store.clone(), name)
            .unwrap();
        a.write_slice(&Selection::all(), &(0..100u16).collect::<Vec<_>>())
            .unwrap();
        let key = format!("{name}/c/1");
        // Truncated.
        corrupt(&store, &key, |v| v[..v.len() / 2].to_vec());
        let e = err_of(&a);
        assert!(e.contains(&key), "{e}");
        // Garbage.
        corrupt(&store, &key, |_| vec![0xAB; 37]);
        let e = err_of(&a);
        assert!(e.contains(&key), "{e}");
        // Too long: more bytes than the chunk holds.
        store.set(&key, vec![0u8; 1000].into()).unwrap();
        assert!(err_of(&a).contains(&key));
        // The other chunk still reads.
        assert_eq!(
            a.read_vec::<u16>(&sel(":50")).unwrap(),
            (0..50).collect::<Vec<u16>>()
        );
    }
    // A flipped byte under crc32c is a checksum error.
    let a = Array::open(store.clone(), "crc").unwrap();
    a.write_slice(&Selection::all(), &(0..100u16).collect::<Vec<_>>())
        .unwrap();
    corrupt(&store, "crc/c/0", |mut v| {
        v[3] ^= 1;
        v
    });
    let e = err_of(&a);
    assert!(e.contains("crc/c/0") && e.contains("checksum"), "{e}");
}

#[test]
fn a_zstd_frame_claiming_a_huge_size_is_refused_without_allocating() {
    let store = mem();
    let a = ArrayBuilder::new(vec![16], DataType::UInt8)
        .chunks(vec![16])
        .create(store.clone(), "z")
        .unwrap();
    // A zstd frame of 64 MiB of zeros compresses to a few bytes.
    let bomb = zstd::bulk::compress(&vec![0u8; 64 << 20], 3).unwrap();
    store.set("z/c/0", bomb.into()).unwrap();
    let e = a.read_vec::<u8>(&Selection::all()).unwrap_err().to_string();
    assert!(e.contains("z/c/0"), "{e}");
}

#[test]
fn bad_metadata_and_types() {
    let store = mem();
    let put = |k: &str, v: &str| store.set(k, v.as_bytes().to_vec().into()).unwrap();
    put("bad/zarr.json", "{not json");
    put(
        "nofill/zarr.json",
        r#"{"zarr_format":3,"node_type":"array","shape":[2],"data_type":"int8","chunk_grid":{"name":"regular","configuration":{"chunk_shape":[2]}},"chunk_key_encoding":{"name":"default"},"codecs":[{"name":"bytes"}]}"#,
    );
    put(
        "codec/zarr.json",
        r#"{"zarr_format":3,"node_type":"array","shape":[2],"data_type":"int8","chunk_grid":{"name":"regular","configuration":{"chunk_shape":[2]}},"chunk_key_encoding":{"name":"default"},"fill_value":0,"codecs":[{"name":"bytes"},{"name":"lzma9000"}]}"#,
    );
    put(
        "dtype/zarr.json",
        r#"{"zarr_format":3,"node_type":"array","shape":[2],"data_type":"int128","chunk_grid":{"name":"regular","configuration":{"chunk_shape":[2]}},"chunk_key_encoding":{"name":"default"},"fill_value":0,"codecs":[{"name":"bytes"}]}"#,
    );
    put(
        "ext/zarr.json",
        r#"{"zarr_format":3,"node_type":"array","shape":[2],"data_type":"int8","chunk_grid":{"name":"regular","configuration":{"chunk_shape":[2]}},"chunk_key_encoding":{"name":"default"},"fill_value":0,"codecs":[{"name":"bytes"}],"storage_transformers":[{"name":"magic"}]}"#,
    );
    put("grp/zarr.json", r#"{"zarr_format":3,"node_type":"group"}"#);
    let s: StoreRef = store.clone();
    for (path, needle) in [
        ("bad", "bad/zarr.json"),
        ("nofill", "fill_value"),
        ("codec", "lzma9000"),
        ("dtype", "int128"),
        ("ext", "magic"),
        ("missing", "missing"),
    ] {
        let e = Array::open(s.clone(), path).unwrap_err().to_string();
        assert!(e.contains(needle), "{path}: {e}");
    }
    assert!(matches!(
        Array::open(s.clone(), "grp"),
        Err(ArrayError::NotAnArray { .. })
    ));
    assert!(matches!(
        Array::open(s.clone(), "../etc"),
        Err(ArrayError::Store(_))
    ));
    let a = ArrayBuilder::new(vec![4], DataType::Int16)
        .create(s.clone(), "ok")
        .unwrap();
    assert!(matches!(
        a.read_vec::<f32>(&Selection::all()),
        Err(ArrayError::DataTypeMismatch { .. })
    ));
    assert!(matches!(
        a.read_vec::<u16>(&Selection::all()),
        Err(ArrayError::DataTypeMismatch { .. })
    ));
    assert!(matches!(
        a.read_vec::<i16>(&sel("4")),
        Err(ArrayError::Selection(_))
    ));
    assert!(matches!(
        a.read_vec::<i16>(&sel("0:2, 1")),
        Err(ArrayError::Selection(_))
    ));
    // A failed write changes nothing.
    a.write_slice(&Selection::all(), &[1i16, 2, 3, 4]).unwrap();
    assert!(a.write_slice(&Selection::all(), &[1i16, 2]).is_err());
    assert!(a.write_slice(&sel("0:2"), &[1.0f32, 2.0]).is_err());
    assert_eq!(
        a.read_vec::<i16>(&Selection::all()).unwrap(),
        vec![1, 2, 3, 4]
    );
    // Invalid creation arguments.
    assert!(ArrayBuilder::new(vec![4], DataType::Int16)
        .chunks(vec![0])
        .create(s.clone(), "c0")
        .is_err());
    assert!(ArrayBuilder::new(vec![4], DataType::Int16)
        .chunks(vec![2, 2])
        .create(s.clone(), "c1")
        .is_err());
    assert!(ArrayBuilder::new(vec![4], DataType::UInt8)
        .fill_value_json(json!(300))
        .create(s.clone(), "c2")
        .is_err());
    assert!(ArrayBuilder::new(vec![4], DataType::String)
        .serializer(codec(
            json!({"name": "bytes", "configuration": {"endian": "little"}})
        ))
        .create(s, "c3")
        .is_err());
}

#[test]
fn folder_store_round_trip_and_concurrent_writers() {
    let dir = tempfile::tempdir().unwrap();
    let store: StoreRef = Arc::new(zarr::store::LocalStore::new(dir.path(), false).unwrap());
    let a = ArrayBuilder::new(vec![64, 64], DataType::Int32)
        .chunks(vec![16, 16])
        .fill_value_json(json!(-1))
        .create(store.clone(), "group/arr")
        .unwrap();
    assert!(dir.path().join("group/arr/zarr.json").is_file());
    // Eight threads each write their own band of rows, chunk-aligned or not.
    std::thread::scope(|s| {
        for t in 0..8i32 {
            let a = &a;
            s.spawn(move || {
                let rows = format!("{}:{}", t * 8, t * 8 + 8);
                a.write_slice(&sel(&format!("{rows}, :")), &vec![t; 8 * 64])
                    .unwrap();
            });
        }
    });
    let b = Array::open(store.clone(), "group/arr").unwrap();
    let got = b.read_vec::<i32>(&Selection::all()).unwrap();
    for (i, v) in got.iter().enumerate() {
        assert_eq!(*v, (i / 64 / 8) as i32, "element {i}");
    }
    assert!(dir.path().join("group/arr/c/3/3").is_file());
    // Nothing else than metadata and chunk files is left behind (no temp files).
    let keys = store.list().unwrap();
    // 16 chunks, the array's zarr.json and the implicit parent groups' (group, root).
    assert_eq!(keys.len(), 16 + 3, "{keys:?}");
    // A read-only view refuses writes and leaves the data as it was.
    let ro = Array::open(zarr::store::with_read_only(store), "group/arr").unwrap();
    assert!(ro.write_slice(&sel("0:1, 0:1"), &[9i32]).is_err());
    assert_eq!(ro.read_vec::<i32>(&sel("0, 0")).unwrap(), vec![0]);
}

#[test]
fn threads_writing_disjoint_parts_of_one_chunk_lose_nothing() {
    let store = mem();
    let a = ArrayBuilder::new(vec![8, 64], DataType::UInt32)
        .chunks(vec![8, 64])
        .create(store.clone(), "one")
        .unwrap();
    for round in 1..=20u32 {
        std::thread::scope(|s| {
            for t in 0..8u32 {
                let a = a.clone();
                s.spawn(move || {
                    a.write_slice(&sel(&format!("{t}, :")), &vec![round * 100 + t; 64])
                        .unwrap();
                });
            }
        });
        let got = a.read_vec::<u32>(&Selection::all()).unwrap();
        for (i, v) in got.iter().enumerate() {
            assert_eq!(
                *v,
                round * 100 + (i / 64) as u32,
                "round {round}, element {i}"
            );
        }
    }
}

/// An array created under a parent whose document does not parse leaves the
/// parent as it is (zarr-python never parses parents); an array parent is
/// still refused.
#[test]
fn create_under_an_unparsable_parent() {
    let store: StoreRef = Arc::new(MemoryStore::new());
    store.set("zarr.json", b"not json".to_vec().into()).unwrap();
    let b = ArrayBuilder::new(vec![4], DataType::UInt8).chunks(vec![2]);
    b.create(store.clone(), "g/a").unwrap();
    let root = store
        .get("zarr.json", &zarr::buffer::BufferPrototype::default(), None)
        .unwrap()
        .unwrap();
    assert_eq!(&root[..], b"not json");
    assert!(store.exists("g/zarr.json").unwrap());
    let e = b.create(store.clone(), "g/a/b").unwrap_err().to_string();
    assert!(e.contains("is an array"), "{e}");
}
