//! Wrapper stores beyond the conformance suite: what `LoggingStore` logs
//! (through a real `tracing` subscriber), `PrefixStore` isolation,
//! `FaultStore` determinism and what failures leave behind (array writes
//! through injected faults never leave a half-written chunk, on memory and
//! on S3 when the test servers run), and the caller's `BufferPrototype`
//! reaching the store on every data read (seed 002's testing store).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use ndarray::{ArrayD, IxDyn};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use zarr::array::{Array, ArrayBuilder, ArrayConfig, AsyncArray};
use zarr::buffer::{Buffer, BufferPrototype, MemoryKind};
use zarr::chunk::Selection;
use zarr::dtype::DataType;
use zarr::store::{
    ByteRequest, FaultConfig, FaultStore, FaultTarget, LoggingStore, MemoryStore, PrefixStore,
    Store, StoreError, StoreRef, SyncToAsync,
};

fn buf(b: &[u8]) -> Buffer {
    b.to_vec().into()
}

// ------------------------------------------------------------ LoggingStore

/// A `tracing` subscriber that keeps every event's fields as text.
#[derive(Default)]
struct Capture {
    events: Mutex<Vec<(tracing::Level, String)>>,
}

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={:?} ", field.name(), value));
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.push_str(&format!("{}={} ", field.name(), value));
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        if event.metadata().target() != zarr::store::LOG_TARGET {
            return;
        }
        let mut f = Fields(String::new());
        event.record(&mut f);
        self.events
            .lock()
            .unwrap()
            .push((*event.metadata().level(), f.0));
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn logging_store_logs_every_call_with_key_and_duration() {
    let capture = Arc::new(Capture::default());
    let store = LoggingStore::new(Arc::new(MemoryStore::new()), "mem");
    tracing::subscriber::with_default(capture.clone(), || {
        store.set("a/b", buf(b"v")).unwrap();
        store.get("a/b", &BufferPrototype::default(), None).unwrap();
        store.list_dir("a").unwrap();
        assert!(store.set("../bad", buf(b"v")).is_err());
    });
    let events = capture.events.lock().unwrap().clone();
    assert_eq!(events.len(), 4, "{events:?}");
    for (i, (op, key)) in [
        ("set", "a/b"),
        ("get", "a/b"),
        ("list_dir", "a"),
        ("set", "../bad"),
    ]
    .iter()
    .enumerate()
    {
        let (level, text) = &events[i];
        assert!(text.contains(&format!("operation={op} ")), "{text}");
        assert!(text.contains(&format!("key={key} ")), "{text}");
        assert!(text.contains("micros="), "{text}");
        assert!(text.contains("store=mem"), "{text}");
        let failed = i == 3;
        assert_eq!(
            *level,
            if failed {
                tracing::Level::WARN
            } else {
                tracing::Level::DEBUG
            }
        );
        assert!(text.contains(&format!("ok={}", !failed)), "{text}");
    }
    assert!(events[3].1.contains("error="), "{}", events[3].1);
}

// ------------------------------------------------------------- PrefixStore

#[test]
fn prefix_store_sees_and_deletes_only_its_own_keys() {
    let inner = Arc::new(MemoryStore::new());
    for k in ["a/x", "a.zarr2/y", "a/b/z", "b"] {
        inner.set(k, buf(k.as_bytes())).unwrap();
    }
    let view = PrefixStore::new(inner.clone(), "/a/").unwrap();
    assert_eq!(view.prefix(), "a/");
    assert_eq!(view.list().unwrap(), vec!["b/z", "x"]);
    assert_eq!(view.list_dir("").unwrap(), vec!["b", "x"]);
    assert_eq!(view.getsize_prefix("").unwrap(), 8);
    let got = view.get(
        "b/z",
        &BufferPrototype::default(),
        Some(ByteRequest::Suffix(1)),
    );
    assert_eq!(got.unwrap().as_deref(), Some(&b"z"[..]));
    assert!(matches!(view.getsize("nope"), Err(StoreError::NotFound { key }) if key == "nope"));
    view.delete_dir("").unwrap();
    assert_eq!(inner.list().unwrap(), vec!["a.zarr2/y", "b"]);
    assert!(PrefixStore::new(inner, "../up").is_err());
}

// -------------------------------------------------------------- FaultStore

/// Which of `n` calls fail under `config`.
fn failure_pattern(config: &FaultConfig, n: usize) -> Vec<bool> {
    let store = FaultStore::new(Arc::new(MemoryStore::new()), config.clone());
    (0..n)
        .map(|i| store.set(&format!("k{i}"), buf(b"v")).is_err())
        .collect()
}

#[test]
fn fault_store_is_deterministic_by_seed() {
    let config = FaultConfig {
        fail_fraction: 0.3,
        seed: 7,
        ..FaultConfig::default()
    };
    let a = failure_pattern(&config, 200);
    assert_eq!(a, failure_pattern(&config, 200));
    let failures = a.iter().filter(|&&f| f).count();
    assert!((35..=85).contains(&failures), "{failures} of 200");
    let other = FaultConfig { seed: 8, ..config };
    assert_ne!(a, failure_pattern(&other, 200));
    // Every third call.
    let every = FaultConfig {
        fail_every: Some(3),
        ..FaultConfig::default()
    };
    let p = failure_pattern(&every, 9);
    assert_eq!(
        p,
        [false, false, true, false, false, true, false, false, true]
    );
}

#[test]
fn fault_store_targets_and_latency() {
    let inner = Arc::new(MemoryStore::new());
    inner.set("k", buf(b"v")).unwrap();
    let writes_only = FaultStore::new(
        inner.clone(),
        FaultConfig {
            fail_every: Some(1),
            latency: Duration::from_millis(20),
            target: FaultTarget::Writes,
            ..FaultConfig::default()
        },
    );
    let start = std::time::Instant::now();
    assert!(writes_only.exists("k").unwrap());
    assert!(start.elapsed() >= Duration::from_millis(20));
    let e = writes_only.set("k", buf(b"new")).unwrap_err();
    assert!(
        e.to_string().contains("\"k\"") && e.to_string().contains("injected failure"),
        "{e}"
    );
    // A refused write changed nothing.
    assert_eq!(
        &inner
            .get("k", &BufferPrototype::default(), None)
            .unwrap()
            .unwrap()[..],
        b"v"
    );
    let reads_only = FaultStore::new(
        inner,
        FaultConfig {
            fail_every: Some(1),
            target: FaultTarget::Reads,
            ..FaultConfig::default()
        },
    );
    reads_only.set("k2", buf(b"w")).unwrap();
    let e = reads_only
        .get("k2", &BufferPrototype::default(), None)
        .unwrap_err();
    assert!(e.to_string().contains("k2"), "{e}");
}

/// Write an array through a store that fails a third of the writes, many
/// times over; every chunk left in `inner` is whole: the array always reads,
/// and each chunk holds the fill value or one complete round's values.
fn faulty_writes_leave_whole_chunks(inner: StoreRef) {
    let shape = [12u64, 12];
    let builder = ArrayBuilder::new(shape.to_vec(), DataType::Int32)
        .chunks(vec![4, 4])
        .fill_value_json(serde_json::json!(-1));
    builder.create(inner.clone(), "a").unwrap();
    let faulty: StoreRef = Arc::new(FaultStore::new(
        inner.clone(),
        FaultConfig {
            fail_fraction: 0.34,
            seed: 11,
            target: FaultTarget::Writes,
            ..FaultConfig::default()
        },
    ));
    let array = Array::open(faulty.clone(), "a").unwrap();
    let mut failed = 0;
    for round in 1..=4 {
        let data = ArrayD::from_elem(IxDyn(&[12, 12]), round * 1000);
        if array.write(&Selection::all(), data.view()).is_err() {
            failed += 1;
        }
        let read = Array::open(inner.clone(), "a")
            .unwrap()
            .read::<i32>(&Selection::all())
            .unwrap();
        for ci in 0..3 {
            for cj in 0..3 {
                let block = read.slice(ndarray::s![ci * 4..ci * 4 + 4, cj * 4..cj * 4 + 4]);
                let first = block[[0, 0]];
                assert!(
                    block.iter().all(|&v| v == first) && (first == -1 || first % 1000 == 0),
                    "chunk {ci},{cj} is not whole: {block:?}"
                );
            }
        }
    }
    assert!(failed > 0, "no write failed: the test would prove nothing");
}

#[test]
fn faulty_writes_leave_whole_chunks_in_memory() {
    faulty_writes_leave_whole_chunks(Arc::new(MemoryStore::new()));
}

#[test]
fn faulty_writes_leave_whole_chunks_on_s3() {
    let Ok(endpoint) = std::env::var("ZARR_TEST_S3_MOTO") else {
        let required = ["CI", "ZARR_REQUIRE_SERVERS"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()));
        assert!(
            !required,
            "ZARR_TEST_S3_MOTO is not set: the S3 test server did not start"
        );
        eprintln!("skipping: ZARR_TEST_S3_MOTO is not set (scripts/test.sh starts it)");
        return;
    };
    let mut options = zarr::store::ObjectStoreOptions::default();
    options.from_env = false;
    for (k, v) in [
        ("aws_endpoint", endpoint.as_str()),
        ("aws_access_key_id", "zarrtest"),
        ("aws_secret_access_key", "zarrtestsecret"),
        ("aws_region", "us-east-1"),
    ] {
        options.config.push((k.into(), v.into()));
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let url = format!("s3://zarr-test/faults-{}-{nanos}", std::process::id());
    faulty_writes_leave_whole_chunks(Arc::new(
        zarr::store::ObjectStore::from_url(&url, options).unwrap(),
    ));
}

// ------------------------------------------- the caller's buffer prototype

const MARK: MemoryKind = MemoryKind::Tagged("test-buffer");

/// Seed 002's `StoreExpectingTestBuffer`: every read of a non-metadata key
/// must come with the caller's prototype.
#[derive(Debug)]
struct StoreExpectingPrototype {
    inner: MemoryStore,
    data_reads: AtomicUsize,
}

fn is_metadata(key: &str) -> bool {
    key.ends_with("zarr.json") || key.rsplit('/').next().is_some_and(|n| n.starts_with(".z"))
}

impl StoreExpectingPrototype {
    fn check(&self, key: &str, prototype: &BufferPrototype) -> Result<(), StoreError> {
        if is_metadata(key) {
            return Ok(());
        }
        if prototype.kind() != &MARK {
            return Err(StoreError::Other {
                key: key.to_string(),
                message: format!("expected the test prototype, got {:?}", prototype.kind()),
            });
        }
        self.data_reads.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

impl Store for StoreExpectingPrototype {
    fn get(
        &self,
        key: &str,
        prototype: &BufferPrototype,
        range: Option<ByteRequest>,
    ) -> Result<Option<Buffer>, StoreError> {
        self.check(key, prototype)?;
        self.inner.get(key, prototype, range)
    }
    fn get_partial_values(
        &self,
        prototype: &BufferPrototype,
        requests: &[(String, Option<ByteRequest>)],
    ) -> Result<Vec<Option<Buffer>>, StoreError> {
        for (k, _) in requests {
            self.check(k, prototype)?;
        }
        self.inner.get_partial_values(prototype, requests)
    }
    fn set(&self, key: &str, value: Buffer) -> Result<(), StoreError> {
        self.inner.set(key, value)
    }
    fn set_if_not_exists(&self, key: &str, value: Buffer) -> Result<bool, StoreError> {
        self.inner.set_if_not_exists(key, value)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.inner.delete(key)
    }
    fn list_prefix(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.inner.list_prefix(prefix)
    }
    fn list_dir(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.inner.list_dir(prefix)
    }
    fn read_only(&self) -> bool {
        false
    }
}

#[test]
fn the_callers_prototype_reaches_the_store_on_every_data_read() {
    let store = Arc::new(StoreExpectingPrototype {
        inner: MemoryStore::new(),
        data_reads: AtomicUsize::new(0),
    });
    let data = ArrayD::from_shape_fn(IxDyn(&[10, 9]), |ix| (ix[0] * 9 + ix[1]) as u16);
    for (path, sharded) in [("plain", false), ("sharded", true)] {
        let mut b = ArrayBuilder::new(vec![10, 9], DataType::UInt16).chunks(vec![2, 3]);
        if sharded {
            b = b.shards(vec![4, 6]);
        }
        b.create(store.clone(), path)
            .unwrap()
            .write(&Selection::all(), data.view())
            .unwrap();
    }
    let config = ArrayConfig {
        prototype: BufferPrototype::new(MARK),
        ..ArrayConfig::default()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for path in ["plain", "sharded"] {
        // Blocking arrays.
        let before = store.data_reads.load(Ordering::Relaxed);
        let a = Array::open_with_config(store.clone(), path, config.clone()).unwrap();
        assert_eq!(a.read::<u16>(&Selection::all()).unwrap(), data, "{path}");
        let part = a
            .read::<u16>(&"3:7, 1:8".parse::<Selection>().unwrap())
            .unwrap();
        assert_eq!(
            part,
            data.slice(ndarray::s![3..7, 1..8]).into_dyn(),
            "{path}"
        );
        assert!(store.data_reads.load(Ordering::Relaxed) > before, "{path}");
        // Asynchronous arrays.
        let before = store.data_reads.load(Ordering::Relaxed);
        let async_store = Arc::new(SyncToAsync::new(store.clone()));
        rt.block_on(async {
            let a = AsyncArray::open_with_config(async_store, path, config.clone())
                .await
                .unwrap();
            assert_eq!(
                a.read::<u16>(&Selection::all()).await.unwrap(),
                data,
                "{path}"
            );
        });
        assert!(store.data_reads.load(Ordering::Relaxed) > before, "{path}");
        // The check is live: the default prototype is refused.
        let e = Array::open(store.clone(), path)
            .unwrap()
            .read::<u16>(&Selection::all())
            .unwrap_err();
        assert!(e.to_string().contains("expected the test prototype"), "{e}");
    }
}

/// Every wrapper answers capability queries as the store under it does, so
/// wrapping never hides conditional writes (cross-process safe shard
/// writes) nor claims consolidation a store refuses.
#[test]
fn wrappers_report_the_capabilities_of_the_store_they_wrap() {
    let dir = tempfile::tempdir().unwrap();
    let local: StoreRef = Arc::new(zarr::store::LocalStore::new(dir.path(), false).unwrap());
    let refusing: StoreRef =
        common::counting::CountingStore::without_consolidation(Arc::new(MemoryStore::new()));
    for inner in [local, refusing] {
        let wrapped: Vec<StoreRef> = vec![
            Arc::new(LoggingStore::new(inner.clone(), "l")),
            Arc::new(PrefixStore::new(inner.clone(), "p").unwrap()),
            Arc::new(FaultStore::new(inner.clone(), FaultConfig::default())),
        ];
        for w in wrapped {
            let what = format!("{w:?} over {inner:?}");
            assert_eq!(w.read_only(), inner.read_only(), "{what}");
            assert_eq!(w.supports_writes(), inner.supports_writes(), "{what}");
            assert_eq!(w.supports_deletes(), inner.supports_deletes(), "{what}");
            assert_eq!(w.supports_listing(), inner.supports_listing(), "{what}");
            assert_eq!(
                w.supports_partial_writes(),
                inner.supports_partial_writes(),
                "{what}"
            );
            assert_eq!(
                w.supports_conditional_writes(),
                inner.supports_conditional_writes(),
                "{what}"
            );
            assert_eq!(
                w.supports_consolidated_metadata(),
                inner.supports_consolidated_metadata(),
                "{what}"
            );
        }
        let ro = zarr::store::with_read_only(inner.clone());
        assert_eq!(
            ro.supports_consolidated_metadata(),
            inner.supports_consolidated_metadata()
        );
    }
}
