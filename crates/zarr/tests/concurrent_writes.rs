//! Concurrent partial writes to one shard (and one unsharded chunk) lose
//! nothing: 8 threads of one process, and 4 separate processes, over a
//! `LocalStore` folder (conditional writes under an OS file lock), plus the
//! in-process fallback for stores without conditional writes; and the same
//! through [`AsyncArray`] (8 tokio tasks), and async and blocking writers
//! mixed.
//!
//! The multi-process test runs this test binary again: `child_writer` does
//! the writing when `ZARR_CONCURRENT_CHILD` is set and nothing otherwise.
//! `ZARR_CONCURRENT_REPEAT` sets how many times it is repeated (default 3).

#![allow(clippy::unwrap_used)]

mod common;

use common::counting::CountingStore;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use zarr::array::{Array, ArrayBuilder, AsyncArray};
use zarr::buffer::{Buffer, BufferPrototype};
use zarr::chunk::Selection;
use zarr::dtype::DataType;
use zarr::store::{AsyncStore, LocalStore, MemoryStore, Store, StoreError, StoreRef, SyncToAsync};

const CHILD_ENV: &str = "ZARR_CONCURRENT_CHILD";
const PROCESSES: u32 = 4;
const PROCESS_ROUNDS: u32 = 30;

/// The two arrays every writer updates: `s` (one 32x32 shard of 8x8 inner
/// chunks) and `c` (one unsharded 32x32 chunk).
fn create_arrays(store: StoreRef) {
    ArrayBuilder::new(vec![32, 32], DataType::UInt32)
        .chunks(vec![8, 8])
        .shards(vec![32, 32])
        .create(store.clone(), "s")
        .unwrap();
    ArrayBuilder::new(vec![32, 32], DataType::UInt32)
        .chunks(vec![32, 32])
        .create(store, "c")
        .unwrap();
}

/// Writer `t` of `n` owns the columns `t, t + n, ...`: every inner chunk is
/// shared by all writers. Round `i` writes `t * 1000 + i`.
fn write_rounds(store: StoreRef, t: u32, n: u32, rounds: u32) {
    let sel: Selection = format!("0:32, {t}::{n}").parse().unwrap();
    let len = (32 * 32 / n) as usize;
    for name in ["s", "c"] {
        let a = Array::open(store.clone(), name).unwrap();
        for i in 1..=rounds {
            a.write_slice(&sel, &vec![t * 1000 + i; len]).unwrap();
        }
    }
}

fn check_union(store: StoreRef, n: u32, rounds: u32, what: &str) {
    for name in ["s", "c"] {
        let a = Array::open(store.clone(), name).unwrap();
        let v = a.read_vec::<u32>(&Selection::all()).unwrap();
        for (i, &x) in v.iter().enumerate() {
            let col = (i % 32) as u32;
            assert_eq!(
                x,
                (col % n) * 1000 + rounds,
                "{what}: array {name}, element {i}: a write was lost"
            );
        }
    }
}

fn threads(store: StoreRef, what: &str) {
    const THREADS: u32 = 8;
    const ROUNDS: u32 = 30;
    create_arrays(store.clone());
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let store = store.clone();
            s.spawn(move || write_rounds(store, t, THREADS, ROUNDS));
        }
    });
    check_union(store, THREADS, ROUNDS, what);
}

#[test]
fn eight_threads_local_store() {
    for round in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        // Each thread gets its own store over the folder, as processes would.
        let store: StoreRef = Arc::new(LocalStore::new(dir.path(), false).unwrap());
        threads(store, &format!("LocalStore round {round}"));
        assert_no_stray_files(dir.path());
    }
}

#[test]
fn eight_threads_memory_store() {
    threads(Arc::new(MemoryStore::new()), "MemoryStore");
}

#[test]
fn eight_threads_store_without_conditional_writes() {
    // Without conditional writes: the in-process key lock applies.
    let store = Arc::new(CountingStore::default());
    assert!(!store.supports_conditional_writes());
    assert!(matches!(
        store.set_if_unchanged("k", zarr::store::Expected::Any, None),
        Err(StoreError::Unsupported { .. })
    ));
    threads(store, "in-process fallback");
}

/// No lock or temporary file is left behind, and none is listed.
fn assert_no_stray_files(root: &Path) {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                walk(&e.path(), out);
            } else {
                out.push(e.file_name().to_string_lossy().into_owned());
            }
        }
    }
    let mut names = Vec::new();
    walk(root, &mut names);
    assert!(
        names.iter().all(|n| !zarr::store::is_temp_name(n)),
        "stray files: {names:?}"
    );
    let store = LocalStore::new(root, true).unwrap();
    assert_eq!(
        store.list().unwrap(),
        vec![
            "c/c/0/0",
            "c/zarr.json",
            "s/c/0/0",
            "s/zarr.json",
            "zarr.json"
        ]
    );
}

/// The child side of `four_processes_local_store` (a no-op unless run by it).
#[test]
fn child_writer() {
    let Ok(arg) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut parts = arg.splitn(3, '|');
    let t: u32 = parts.next().unwrap().parse().unwrap();
    let rounds: u32 = parts.next().unwrap().parse().unwrap();
    let root = Path::new(parts.next().unwrap());
    // Start together: wait for the parent's signal.
    let go = root.join("go");
    let t0 = std::time::Instant::now();
    while !go.exists() {
        assert!(t0.elapsed().as_secs() < 60, "no start signal");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let store: StoreRef = Arc::new(LocalStore::new(root.join("data"), false).unwrap());
    write_rounds(store, t, PROCESSES, rounds);
}

#[test]
fn four_processes_local_store() {
    let repeat: u32 = std::env::var("ZARR_CONCURRENT_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let exe = std::env::current_exe().unwrap();
    for round in 0..repeat {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        create_arrays(Arc::new(LocalStore::new(&data, false).unwrap()));
        let children: Vec<_> = (0..PROCESSES)
            .map(|t| {
                Command::new(&exe)
                    .args(["--exact", "child_writer", "--test-threads=1", "--quiet"])
                    .env(
                        CHILD_ENV,
                        format!("{t}|{PROCESS_ROUNDS}|{}", dir.path().display()),
                    )
                    .spawn()
                    .unwrap()
            })
            .collect();
        std::fs::write(dir.path().join("go"), b"").unwrap();
        for mut c in children {
            let status = c.wait().unwrap();
            assert!(status.success(), "round {round}: a writer process failed");
        }
        let store: StoreRef = Arc::new(LocalStore::new(&data, true).unwrap());
        check_union(
            store,
            PROCESSES,
            PROCESS_ROUNDS,
            &format!("4 processes, round {round}"),
        );
        assert_no_stray_files(&data);
    }
}

#[test]
fn conditional_writes_local_store() {
    use zarr::store::Expected;
    let dir = tempfile::tempdir().unwrap();
    let s = LocalStore::new(dir.path(), false).unwrap();
    assert!(s.supports_conditional_writes());
    let b = |x: &[u8]| Buffer::from(x.to_vec());
    assert!(s
        .set_if_unchanged("a/k", Expected::Missing, Some(b(b"1")))
        .unwrap());
    assert!(!s
        .set_if_unchanged("a/k", Expected::Missing, Some(b(b"2")))
        .unwrap());
    assert!(!s
        .set_if_unchanged("a/k", Expected::Bytes(b"2"), Some(b(b"3")))
        .unwrap());
    assert!(!s
        .set_if_unchanged("a/k", Expected::Bytes(b"11"), Some(b(b"3")))
        .unwrap());
    assert!(s
        .set_if_unchanged("a/k", Expected::Bytes(b"1"), Some(b(b"3")))
        .unwrap());
    assert_eq!(
        &s.get("a/k", &BufferPrototype::default(), None)
            .unwrap()
            .unwrap()[..],
        b"3"
    );
    assert!(s
        .set_if_unchanged("a/k", Expected::Any, Some(b(b"4")))
        .unwrap());
    assert!(s
        .set_if_unchanged("a/k", Expected::Bytes(b"4"), None)
        .unwrap());
    assert!(!s.exists("a/k").unwrap());
    // The emptied folder is removed; no lock or temporary file remains.
    assert!(!dir.path().join("a").exists());
    assert!(s.set_if_unchanged("b/k", Expected::Any, None).unwrap());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    // Lock-file names are reserved keys and never listed.
    assert!(matches!(
        s.set(".k.zarr-lock", b(b"x")),
        Err(StoreError::InvalidKey { .. })
    ));
    std::fs::write(dir.path().join(".k.zarr-lock"), b"").unwrap();
    assert!(s.list().unwrap().is_empty());
    // A leftover lock file (a writer that died) does not block writers.
    assert!(s
        .set_if_unchanged("k", Expected::Missing, Some(b(b"1")))
        .unwrap());
    let ro = LocalStore::new(dir.path(), true).unwrap();
    assert!(!ro.supports_conditional_writes());
    assert!(ro.set_if_unchanged("k", Expected::Any, None).is_err());
}

/// Async writer `t` of `n`: [`write_rounds`] through [`AsyncArray`]s.
async fn write_rounds_async(store: Arc<dyn AsyncStore>, t: u32, n: u32, rounds: u32) {
    let sel: Selection = format!("0:32, {t}::{n}").parse().unwrap();
    let len = (32 * 32 / n) as usize;
    for name in ["s", "c"] {
        let a = AsyncArray::open(store.clone(), name).await.unwrap();
        for i in 1..=rounds {
            a.write_slice(&sel, vec![t * 1000 + i; len]).await.unwrap();
        }
    }
}

/// `tasks` async writers (tokio tasks on a multi-threaded runtime) and
/// `threads` blocking writers, all updating one shard and one chunk.
fn mixed(store: StoreRef, tasks: u32, threads: u32, what: &str) {
    const ROUNDS: u32 = 30;
    let n = tasks + threads;
    create_arrays(store.clone());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    let async_store: Arc<dyn AsyncStore> = Arc::new(SyncToAsync::new(store.clone()));
    std::thread::scope(|s| {
        for t in tasks..n {
            let store = store.clone();
            s.spawn(move || write_rounds(store, t, n, ROUNDS));
        }
        rt.block_on(async {
            let handles: Vec<_> = (0..tasks)
                .map(|t| tokio::spawn(write_rounds_async(async_store.clone(), t, n, ROUNDS)))
                .collect();
            for h in handles {
                h.await.unwrap();
            }
        });
    });
    check_union(store, n, ROUNDS, what);
}

#[test]
fn eight_async_tasks_lose_nothing() {
    for round in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let store: StoreRef = Arc::new(LocalStore::new(dir.path(), false).unwrap());
        mixed(store, 8, 0, &format!("async, LocalStore, round {round}"));
        assert_no_stray_files(dir.path());
    }
    mixed(Arc::new(MemoryStore::new()), 8, 0, "async, MemoryStore");
    mixed(
        Arc::new(CountingStore::default()),
        8,
        0,
        "async, in-process fallback",
    );
}

#[test]
fn async_and_blocking_writers_mixed_lose_nothing() {
    for round in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let store: StoreRef = Arc::new(LocalStore::new(dir.path(), false).unwrap());
        mixed(store, 4, 4, &format!("mixed, LocalStore, round {round}"));
    }
    mixed(Arc::new(MemoryStore::new()), 4, 4, "mixed, MemoryStore");
    mixed(
        Arc::new(CountingStore::default()),
        4,
        4,
        "mixed, in-process fallback",
    );
}

/// Writers creating files in a folder while others delete the last key of
/// it (which removes the emptied folder): plain, conditional and
/// create-only writes must all succeed (`create_dir_all` may see the folder
/// vanish mid-way and report `File exists`; that used to fail the write).
/// Repeated 20 times.
#[test]
fn folder_removal_races_no_writer() {
    use zarr::store::Expected;
    for round in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(LocalStore::new(dir.path(), false).unwrap());
        std::thread::scope(|s| {
            for t in 0..8u32 {
                let store = store.clone();
                s.spawn(move || {
                    for i in 0..100u32 {
                        let key = format!("c/{}/{t}", i % 3);
                        let v: Buffer = vec![t as u8; 4].into();
                        match i % 3 {
                            0 => store.set(&key, v).unwrap(),
                            1 => {
                                store
                                    .set_if_unchanged(&key, Expected::Any, Some(v))
                                    .unwrap();
                            }
                            _ => {
                                store.set_if_not_exists(&key, v).unwrap();
                            }
                        }
                        store.delete(&key).unwrap();
                        store
                            .set_if_unchanged(&key, Expected::Missing, None)
                            .unwrap();
                    }
                });
            }
        });
        let left = store.list().unwrap();
        assert!(left.is_empty(), "round {round}: {left:?}");
    }
}
