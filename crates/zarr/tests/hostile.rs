//! Hostile metadata: sizes that overflow, chunks too large to decode, reads
//! too large for memory. Each is refused with an error that names the
//! array and the problem; none panics, aborts or allocates what it names.

#![allow(clippy::unwrap_used)]

use serde_json::json;
use std::sync::Arc;
use zarr::array::{Array, ArrayError, AsyncArray};
use zarr::chunk::Selection;
use zarr::store::{MemoryStore, StoreRef};

fn array_json(shape: &[u64], chunks: &[u64], dtype: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "zarr_format": 3, "node_type": "array", "shape": shape, "data_type": dtype,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunks}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": 0, "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
    }))
    .unwrap()
}

fn store_with(doc: Vec<u8>) -> StoreRef {
    let s: StoreRef = Arc::new(MemoryStore::new());
    s.set("a/zarr.json", doc.into()).unwrap();
    s
}

fn open_err(doc: Vec<u8>) -> String {
    let s = store_with(doc);
    let e = Array::open(s.clone(), "a").unwrap_err();
    let async_e = futures::executor::block_on(AsyncArray::open(
        Arc::new(zarr::store::SyncToAsync::new(s)),
        "a",
    ))
    .unwrap_err();
    assert_eq!(e.to_string(), async_e.to_string());
    e.to_string()
}

#[test]
fn element_counts_that_overflow_are_refused_at_open() {
    // 2^80 elements: used to wrap to 0 (an export "succeeded" with no data).
    let e = open_err(array_json(
        &[1 << 40, 1 << 40],
        &[1 << 20, 1 << 20],
        "uint16",
    ));
    assert!(e.contains("\"a\"") && e.contains("64-bit"), "{e}");
    // 2^64 + 2 elements: used to wrap to 2 and abort on a huge chunk list.
    let e = open_err(array_json(&[(1 << 63) + 1, 2], &[1, 1], "uint8"));
    assert!(e.contains("64-bit"), "{e}");
    // Elements fit, bytes do not.
    let e = open_err(array_json(&[1 << 61, 4], &[1, 1], "float64"));
    assert!(e.contains("bytes"), "{e}");
    // A chunk whose element count overflows.
    let e = open_err(array_json(&[4, 4], &[1 << 40, 1 << 40], "uint8"));
    assert!(e.contains("chunk shape") && e.contains("64-bit"), "{e}");
}

#[test]
fn chunks_larger_than_memory_are_refused_at_open() {
    let limit = zarr::limits::max_chunk_bytes();
    // One chunk of 2^62 bytes (the array itself is small).
    let e = open_err(array_json(&[4, 4], &[1 << 31, 1 << 31], "uint8"));
    assert!(
        e.contains("chunk shape") && e.contains(&limit.to_string()),
        "{e}"
    );
    // Sharded: the shard may be larger than memory (it is read in parts),
    // an inner chunk may not.
    let sharded = |inner: u64| {
        serde_json::to_vec(&json!({
            "zarr_format": 3, "node_type": "array", "shape": [1u64 << 40], "data_type": "uint8",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [1u64 << 40]}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
            "codecs": [{"name": "sharding_indexed", "configuration": {
                "chunk_shape": [inner],
                "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
                "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
            }}],
        }))
        .unwrap()
    };
    let e = open_err(sharded(1 << 40));
    assert!(e.contains("chunk shape"), "{e}");
    // 2^20 inner chunks of 1 MiB: a 16 MiB index, a 1 TiB shard; opens.
    let a = Array::open(store_with(sharded(1 << 20)), "a").unwrap();
    assert_eq!(a.shape(), &[1 << 40]);
    // And a small read of it works (an empty shard reads as fill).
    let v = a
        .read_vec::<u8>(&"5:9".parse::<Selection>().unwrap())
        .unwrap();
    assert_eq!(v, vec![0; 4]);
}

fn is_too_large(e: &ArrayError) -> bool {
    matches!(
        e,
        ArrayError::TooLarge { .. }
            | ArrayError::Selection(zarr::chunk::SelectionError::TooLarge { .. })
    )
}

#[test]
fn whole_reads_too_large_for_memory_fail_cleanly() {
    // 2^61 bytes of uint8 in chunks of 2^20: opens (sizes fit), but a
    // whole read cannot be allocated.
    let s = store_with(array_json(&[1 << 41, 1 << 20], &[1, 1 << 20], "uint8"));
    let a = Array::open(s.clone(), "a").unwrap();
    let e = a.read_vec::<u8>(&Selection::all()).unwrap_err();
    assert!(is_too_large(&e), "{e}");
    assert!(e.to_string().contains("memory"), "{e}");
    assert!(a.read_ndbuffer(&Selection::all()).is_err());
    assert!(a.fill(&Selection::all(), 1u8).is_err());
    let aa = futures::executor::block_on(AsyncArray::open(
        Arc::new(zarr::store::SyncToAsync::new(s)),
        "a",
    ))
    .unwrap();
    let e = futures::executor::block_on(aa.read_vec::<u8>(&Selection::all())).unwrap_err();
    assert!(is_too_large(&e), "{e}");
    // One chunk per element of a 2^33-element read: the output would fit
    // in the address space, the list of chunks would not.
    let s = store_with(array_json(&[1 << 33], &[1], "uint8"));
    let tiny = Array::open(s, "a").unwrap();
    let e = tiny.read_vec::<u8>(&Selection::all()).unwrap_err();
    assert!(is_too_large(&e), "{e}");
    // A part of it reads.
    let v = a
        .read_vec::<u8>(&"0:2, 0:3".parse::<Selection>().unwrap())
        .unwrap();
    assert_eq!(v, vec![0; 6]);
}

/// A store entry that is a FIFO used to hang every read of it (the open
/// waited for a writer): it is refused at once, naming the key.
#[test]
fn a_fifo_in_a_folder_store_is_refused_not_waited_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("a")).unwrap();
    let fifo = dir.path().join("a/zarr.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let store: StoreRef = Arc::new(zarr::store::LocalStore::new(dir.path(), true).unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r = store.get("a/zarr.json", &Default::default(), None);
        let open = Array::open(store, "a").map(|_| ());
        let _ = tx.send((r.map(|_| ()), open));
    });
    let (get, open) = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("a read of a FIFO hung");
    let e = get.unwrap_err().to_string();
    assert!(
        e.contains("a/zarr.json") && e.contains("regular file"),
        "{e}"
    );
    assert!(open.is_err());
}
