//! The blocking `Array` and the async `AsyncArray` run the same sans-IO
//! operations through two drivers: one test body, run through both, must
//! give the same stored bytes, the same reads and the same store requests.
#![allow(clippy::unwrap_used)]

mod common;

use common::counting::CountingStore;
use serde_json::{json, Map};
use std::sync::Arc;
use zarr::array::{Array, ArrayBuilder, AsyncArray};
use zarr::buffer::{BufferPrototype, NDBuffer, NDData, Order};
use zarr::chunk::Selection;
use zarr::dtype::DataType;
use zarr::store::{AsyncStore, MemoryStore, Store, StoreRef, SyncToAsync};

/// One array layout to run the body on.
struct Case {
    name: &'static str,
    data_type: DataType,
    shape: Vec<u64>,
    chunks: Vec<u64>,
    shards: Option<Vec<u64>>,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "u16 chunked",
            data_type: DataType::UInt16,
            shape: vec![13, 11],
            chunks: vec![4, 3],
            shards: None,
        },
        Case {
            name: "f64 sharded",
            data_type: DataType::Float64,
            shape: vec![13, 11, 5],
            chunks: vec![2, 3, 5],
            shards: Some(vec![4, 6, 5]),
        },
        Case {
            name: "string chunked",
            data_type: DataType::String,
            shape: vec![9, 7],
            chunks: vec![4, 4],
            shards: None,
        },
        Case {
            name: "fixed bytes sharded",
            data_type: DataType::FixedBytes(3),
            shape: vec![10, 6],
            chunks: vec![2, 3],
            shards: Some(vec![4, 6]),
        },
    ]
}

/// Element `i` of a case's data, as raw bytes (fixed-size types) or UTF-8.
fn element(dt: DataType, i: u64) -> Vec<u8> {
    match dt {
        DataType::UInt16 => ((i * 37 % 65521) as u16).to_ne_bytes().to_vec(),
        DataType::Float64 => (i as f64 / 8.0 - 3.0).to_ne_bytes().to_vec(),
        DataType::String => format!("s{}", i * 7 % 23).into_bytes(),
        DataType::FixedBytes(n) => (0..n)
            .map(|k| (i as u8).wrapping_mul(3) ^ k as u8)
            .collect(),
        other => panic!("no data for {other}"),
    }
}

/// An NDBuffer of the output shape of `sel` in the array of `shape`.
fn ndbuffer(dt: DataType, shape: &[u64], sel: &Selection, seed: u64) -> NDBuffer {
    let out: Vec<usize> = sel.resolve(shape).unwrap().out_shape();
    let n: usize = out.iter().product();
    let data = if dt.size().is_some() {
        NDData::Fixed((0..n as u64).flat_map(|i| element(dt, i + seed)).collect())
    } else {
        NDData::Variable((0..n as u64).map(|i| element(dt, i + seed)).collect())
    };
    NDBuffer::from_parts(out, dt, Order::C, data).unwrap()
}

fn sel(s: &str) -> Selection {
    s.parse().unwrap()
}

/// Every key and value of a store, sorted.
fn contents(store: &dyn Store) -> Vec<(String, Vec<u8>)> {
    let mut keys = store.list().unwrap();
    keys.sort();
    keys.into_iter()
        .map(|k| {
            let v = store
                .get(&k, &BufferPrototype::default(), None)
                .unwrap()
                .unwrap();
            (k, v.to_vec())
        })
        .collect()
}

/// The writes of the body: a region of elements, a fill, an F-order
/// NDBuffer, all through each front end's own methods.
const REGIONS: [&str; 3] = ["1:9, 2:", "0:3, 0:2", "5:, :4"];

#[test]
fn blocking_and_async_agree() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for case in cases() {
        let mut b =
            ArrayBuilder::new(case.shape.clone(), case.data_type).chunks(case.chunks.clone());
        if let Some(s) = &case.shards {
            b = b.shards(s.clone());
        }
        let ndim = case.shape.len();
        let regions: Vec<Selection> = REGIONS
            .iter()
            .map(|r| {
                let extra = ", :".repeat(ndim - 2);
                sel(&format!("{r}{extra}"))
            })
            .collect();

        // Blocking writes.
        let m1: StoreRef = Arc::new(MemoryStore::new());
        let mut a = b.create(m1.clone(), "g/a").unwrap();
        let shape = case.shape.clone();
        let data0 = ndbuffer(case.data_type, &shape, &regions[0], 0);
        match data0.data() {
            NDData::Fixed(bytes) => a.write_bytes(&regions[0], bytes).unwrap(),
            NDData::Variable(v) => a.write_var(&regions[0], v).unwrap(),
            other => panic!("unexpected data {other:?}"),
        }
        let data2 = ndbuffer(case.data_type, &shape, &regions[2], 100).to_order(Order::F);
        a.write_ndbuffer(&regions[2], &data2).unwrap();
        let attrs: Map<String, serde_json::Value> =
            json!({"units": "m", "n": 3}).as_object().unwrap().clone();
        a.update_attributes(attrs.clone()).unwrap();

        // The same writes, async.
        let m2: StoreRef = Arc::new(MemoryStore::new());
        let s2: Arc<dyn AsyncStore> = Arc::new(SyncToAsync::new(m2.clone()));
        let mut x = rt
            .block_on(AsyncArray::create(&b, s2.clone(), "g/a"))
            .unwrap();
        rt.block_on(async {
            match data0.clone().into_data() {
                NDData::Fixed(bytes) => x.write_bytes(&regions[0], bytes).await.unwrap(),
                NDData::Variable(v) => x.write_var(&regions[0], v).await.unwrap(),
                other => panic!("unexpected data {other:?}"),
            }
            x.write_ndbuffer(&regions[2], data2.clone()).await.unwrap();
            x.update_attributes(attrs.clone()).await.unwrap();
        });
        // A fill, typed, where the element type has a Rust twin.
        match case.data_type {
            DataType::UInt16 => {
                a.fill(&regions[1], 7u16).unwrap();
                rt.block_on(x.fill(&regions[1], 7u16)).unwrap();
            }
            DataType::Float64 => {
                a.fill(&regions[1], -0.5f64).unwrap();
                rt.block_on(x.fill(&regions[1], -0.5f64)).unwrap();
            }
            DataType::String => {
                a.fill(&regions[1], "fill".to_string()).unwrap();
                rt.block_on(x.fill(&regions[1], "fill".to_string()))
                    .unwrap();
            }
            _ => {}
        }
        assert_eq!(
            contents(m1.as_ref()),
            contents(m2.as_ref()),
            "{}: stored bytes",
            case.name
        );
        assert_eq!(
            a.stored_size().unwrap(),
            rt.block_on(x.stored_size()).unwrap(),
            "{}",
            case.name
        );
        assert_eq!(a.attributes(), x.attributes(), "{}", case.name);
        assert_eq!(a.chunk_grid_shape(), x.chunk_grid_shape(), "{}", case.name);
        assert_eq!(a.chunk_key(&vec![1; ndim]), x.chunk_key(&vec![1; ndim]));

        // Reads through counting stores: same values, same requests.
        let c1 = CountingStore::new(m1.clone());
        let c2 = CountingStore::new(m2.clone());
        let ra = Array::open(c1.clone(), "g/a").unwrap();
        let c2_async: Arc<dyn AsyncStore> = Arc::new(SyncToAsync::new(c2.clone()));
        let rx = rt.block_on(AsyncArray::open(c2_async, "g/a")).unwrap();
        let extra = ", :".repeat(ndim - 2);
        for s in ["...", "3, 1:10", "1:12:3, ::2", "0:1, 0:1", "4:8, 6:"] {
            let s = if s == "..." {
                sel("...")
            } else {
                sel(&format!("{s}{extra}"))
            };
            c1.reset();
            c2.reset();
            let want = ra.read_ndbuffer(&s).unwrap();
            let got = rt.block_on(rx.read_ndbuffer(&s)).unwrap();
            assert_eq!(want, got, "{}: read_ndbuffer {s:?}", case.name);
            assert_eq!(c1.gets(), c2.gets(), "{}: requests for {s:?}", case.name);
            assert_eq!(c1.bytes(), c2.bytes(), "{}: bytes for {s:?}", case.name);
            if let NDData::Fixed(bytes) = want.data() {
                let mut out = vec![0u8; bytes.len()];
                rt.block_on(rx.read_into_bytes(&s, &mut out)).unwrap();
                assert_eq!(&out, bytes, "{}: read_into_bytes {s:?}", case.name);
                let mut out2 = want.clone();
                rt.block_on(rx.read_into_ndbuffer(&s, &mut out2)).unwrap();
                assert_eq!(out2, want);
            }
        }
        // A whole shard read is one request per shard; a part of a shard
        // is its index and then merged ranges (never the whole shard).
        if case.shards.is_some() {
            c1.reset();
            c2.reset();
            let s = sel(&format!("0:2, 0:3{extra}"));
            ra.read_ndbuffer(&s).unwrap();
            rt.block_on(rx.read_ndbuffer(&s)).unwrap();
            assert_eq!(c1.gets(), 2, "{}: index + one inner chunk", case.name);
            assert_eq!(c2.gets(), 2, "{}: index + one inner chunk", case.name);
        }
        // Bad calls fail the same way on both.
        let wrong = ndbuffer(case.data_type, &shape, &sel("0:1"), 0);
        let e1 = a
            .write_ndbuffer(&regions[0], &wrong)
            .unwrap_err()
            .to_string();
        let e2 = rt
            .block_on(x.write_ndbuffer(&regions[0], wrong.clone()))
            .unwrap_err()
            .to_string();
        assert_eq!(e1, e2, "{}", case.name);
        // An append grows both the same way.
        let mut more_shape = case.shape.clone();
        more_shape[0] = 3;
        let more = ndbuffer(case.data_type, &more_shape, &Selection::all(), 500);
        let want_shape = a.append_ndbuffer(&more, 0).unwrap();
        assert_eq!(
            rt.block_on(x.append_ndbuffer(more.clone(), 0)).unwrap(),
            want_shape
        );
        assert_eq!(
            contents(m1.as_ref()),
            contents(m2.as_ref()),
            "{}: after append",
            case.name
        );
        // A shrink deletes the same chunks and stores the same metadata.
        let smaller: Vec<u64> = case.shape.iter().map(|&d| d / 2 + 1).collect();
        a.resize(smaller.clone()).unwrap();
        rt.block_on(x.resize(smaller)).unwrap();
        assert_eq!(
            contents(m1.as_ref()),
            contents(m2.as_ref()),
            "{}: after resize",
            case.name
        );
    }
}
