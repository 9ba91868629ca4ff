//! HTTP stores against real web servers on 127.0.0.1 serving a folder store:
//! Python's `http.server` (which ignores `Range` and answers 200 with the
//! whole file), a small handler on top of it that honours `Range` (206), and
//! one that fails the first requests of each file with 503 (retries).
//! The read-only part of the conformance suite runs against each.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use zarr::buffer::{Buffer, BufferPrototype};
use zarr::store::{
    open_store, ByteRequest, LocalStore, ObjectStore, ObjectStoreOptions, Store, StoreError,
};

/// The server: `python SCRIPT ROOT MODE LOG`; prints its port, logs one line
/// per GET (`status path range-header`) to LOG.
const SERVER: &str = r#"
import http.server, os, re, sys, threading
root, mode, log = sys.argv[1], sys.argv[2], sys.argv[3]
lock = threading.Lock()
failures = {}
inflight = [0]

class Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **kw):
        super().__init__(*a, directory=root, **kw)
    def log_message(self, *a):
        pass
    def note(self, status):
        with lock, open(log, "a") as f:
            f.write(f"{status} {self.path} {self.headers.get('Range')}\n")
    def do_GET(self):
        if mode == "slow":
            import time
            with lock:
                inflight[0] += 1
                now = inflight[0]
            with lock, open(log, "a") as f:
                f.write(f"inflight {now}\n")
            time.sleep(0.15)
            with lock:
                inflight[0] -= 1
        if mode.startswith("fail"):
            n = int(mode[4:])
            with lock:
                seen = failures.get(self.path, 0)
                failures[self.path] = seen + 1
            if seen < n:
                self.note(503)
                self.send_error(503, "injected failure")
                return
        rng = self.headers.get("Range")
        path = self.translate_path(self.path)
        if mode == "ranges" and rng and os.path.isfile(path):
            data = open(path, "rb").read()
            size = len(data)
            m = re.fullmatch(r"bytes=(\d*)-(\d*)", rng.strip())
            if m is None:
                self.send_error(400)
                return
            a, b = m.groups()
            if a == "":
                start, end = max(size - int(b), 0), size - 1
            else:
                start = int(a)
                end = min(int(b), size - 1) if b else size - 1
            if start >= size or size == 0:
                self.note(416)
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = data[start:end + 1]
            self.note(206)
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.note(200 if os.path.isfile(path) else 404)
        super().do_GET()

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

/// A running server, stopped on drop.
struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Server {
    fn start(root: &Path, mode: &str, log: &Path) -> Server {
        let mut child = Command::new(common::python())
            .arg("-c")
            .arg(SERVER)
            .arg(root)
            .arg(mode)
            .arg(log)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("the test server did not start: {line:?}")
        });
        Server {
            child,
            port,
            log: log.to_path_buf(),
        }
    }
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }
    /// The statuses the server answered, one per GET.
    fn statuses(&self) -> Vec<u16> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split(' ').next()?.parse().ok())
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const SAMPLE: &[(&str, &[u8])] = &[
    ("zarr.json", b"{\"node_type\":\"group\"}"),
    ("a/zarr.json", b"{\"node_type\":\"array\"}"),
    ("a/c/0/0", b"chunk 0 0 ........"),
    ("a/c/1/0", b"chunk 1 0 .."),
    ("b", b"b value"),
    ("empty", b""),
];

/// A folder store with the sample, and its folder.
fn folder() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store.zarr");
    let store = LocalStore::new(&root, false).unwrap();
    for (k, v) in SAMPLE {
        store.set(k, Buffer::from(v.to_vec())).unwrap();
    }
    let big: Vec<u8> = (0..100u8).collect();
    store.set("big", big.into()).unwrap();
    (dir, root)
}

fn quick_options(max_retries: usize) -> ObjectStoreOptions {
    let mut o = ObjectStoreOptions::default();
    o.retry.max_retries = max_retries;
    o.retry.retry_timeout = Duration::from_secs(20);
    o.retry.backoff.init_backoff = Duration::from_millis(10);
    o
}

fn get(s: &dyn Store, key: &str, r: Option<ByteRequest>) -> Option<Vec<u8>> {
    s.get(key, &BufferPrototype::default(), r)
        .unwrap()
        .map(|b| b.to_vec())
}

/// The read-only contract, without listing (a web server cannot list).
fn read_only_checks(s: &dyn Store) {
    assert!(s.read_only() && !s.supports_listing());
    for (k, v) in SAMPLE {
        assert_eq!(get(s, k, None).as_deref(), Some(*v), "{k}");
        assert!(s.exists(k).unwrap(), "{k}");
        assert_eq!(s.getsize(k).unwrap(), v.len() as u64, "{k}");
    }
    let big: Vec<u8> = (0..100u8).collect();
    let requests = [
        ByteRequest::Range { start: 0, end: 10 },
        ByteRequest::Range {
            start: 90,
            end: 200,
        },
        ByteRequest::Range {
            start: 100,
            end: 110,
        },
        ByteRequest::Range {
            start: 150,
            end: 200,
        },
        ByteRequest::Range { start: 5, end: 5 },
        ByteRequest::Range {
            start: 0,
            end: u64::MAX,
        },
        ByteRequest::Offset(50),
        ByteRequest::Offset(100),
        ByteRequest::Offset(1000),
        ByteRequest::Suffix(0),
        ByteRequest::Suffix(10),
        ByteRequest::Suffix(1000),
    ];
    for r in requests {
        let rr = r.resolve(100);
        assert_eq!(
            get(s, "big", Some(r)).unwrap(),
            &big[rr.start as usize..rr.end as usize],
            "{r:?}"
        );
        assert_eq!(get(s, "empty", Some(r)).unwrap(), b"", "{r:?}");
        assert_eq!(get(s, "missing", Some(r)), None, "{r:?}");
    }
    let parts = s
        .get_partial_values(
            &BufferPrototype::default(),
            &[
                ("b".to_string(), Some(ByteRequest::Suffix(5))),
                ("nope".to_string(), None),
                (
                    "big".to_string(),
                    Some(ByteRequest::Range { start: 3, end: 6 }),
                ),
            ],
        )
        .unwrap();
    assert_eq!(parts[0].as_deref(), Some(&b"value"[..]));
    assert!(parts[1].is_none());
    assert_eq!(parts[2].as_deref(), Some(&[3u8, 4, 5][..]));
    for k in ["missing", "a/c/9/9"] {
        assert_eq!(get(s, k, None), None, "{k}");
        assert!(!s.exists(k).unwrap(), "{k}");
        assert!(matches!(s.getsize(k), Err(StoreError::NotFound { .. })));
    }
    assert!(matches!(
        s.set("b", Buffer::from(b"x".to_vec())),
        Err(StoreError::ReadOnly { .. })
    ));
    assert!(matches!(s.delete("b"), Err(StoreError::ReadOnly { .. })));
    let e = s.list().unwrap_err();
    assert!(matches!(e, StoreError::Unsupported { .. }), "{e:?}");
    assert!(e.to_string().contains("listing"), "{e}");
    assert!(matches!(
        s.get("../x", &BufferPrototype::default(), None),
        Err(StoreError::InvalidKey { .. })
    ));
}

#[test]
fn server_that_ignores_ranges() {
    let (dir, root) = folder();
    let server = Server::start(root.parent().unwrap(), "plain", &dir.path().join("log"));
    let store = open_store(&server.url("store.zarr"), true).unwrap();
    read_only_checks(&*store);
    // The server answered every ranged GET with the whole file.
    let statuses = server.statuses();
    assert!(!statuses.contains(&206), "{statuses:?}");
    assert!(statuses.contains(&200), "{statuses:?}");
}

#[test]
fn server_that_honours_ranges() {
    let (dir, root) = folder();
    let server = Server::start(root.parent().unwrap(), "ranges", &dir.path().join("log"));
    let store =
        ObjectStore::from_url(&server.url("store.zarr/"), ObjectStoreOptions::default()).unwrap();
    read_only_checks(&store);
    let statuses = server.statuses();
    assert!(statuses.contains(&206), "{statuses:?}");
}

#[test]
fn arrays_read_over_http() {
    use zarr::array::{Array, ArrayBuilder};
    use zarr::chunk::Selection;
    let (dir, root) = folder();
    let local: Arc<dyn Store> = Arc::new(LocalStore::new(&root, false).unwrap());
    let data =
        ndarray::ArrayD::from_shape_fn(ndarray::IxDyn(&[24, 10]), |ix| (ix[0] * 10 + ix[1]) as u16);
    let array = ArrayBuilder::new(vec![24, 10], zarr::dtype::DataType::UInt16)
        .chunks(vec![5, 4])
        .create(local, "arr")
        .unwrap();
    array.write(&Selection::all(), data.view()).unwrap();
    for mode in ["plain", "ranges"] {
        let server = Server::start(
            root.parent().unwrap(),
            mode,
            &dir.path().join(format!("{mode}.log")),
        );
        let store = open_store(&server.url("store.zarr"), true).unwrap();
        let read = Array::open(store, "arr")
            .unwrap()
            .read::<u16>(&Selection::all())
            .unwrap();
        assert_eq!(read, data, "{mode}");
    }
}

#[test]
fn transient_failures_are_retried_and_then_surface_with_the_key() {
    let (dir, root) = folder();
    // Each file fails twice with 503, then is served.
    let server = Server::start(root.parent().unwrap(), "fail2", &dir.path().join("log"));
    let patient = ObjectStore::from_url(&server.url("store.zarr"), quick_options(3)).unwrap();
    assert_eq!(get(&patient, "b", None).as_deref(), Some(&b"b value"[..]));
    let statuses = server.statuses();
    assert_eq!(statuses, vec![503, 503, 200], "{statuses:?}");
    // One retry is not enough: a clear error that names the key.
    let hasty = ObjectStore::from_url(&server.url("store.zarr"), quick_options(1)).unwrap();
    let e = hasty
        .get("a/zarr.json", &BufferPrototype::default(), None)
        .unwrap_err();
    assert!(matches!(e, StoreError::Remote { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("a/zarr.json") && msg.contains("503"), "{msg}");
}

#[test]
fn partial_reads_run_concurrently_up_to_the_limit() {
    let (dir, root) = folder();
    let log = dir.path().join("log");
    let server = Server::start(root.parent().unwrap(), "slow", &log);
    let mut options = quick_options(0);
    options.concurrency = 3;
    let store = ObjectStore::from_url(&server.url("store.zarr"), options).unwrap();
    let requests: Vec<(String, Option<ByteRequest>)> = (0..12)
        .map(|i| {
            (
                "big".to_string(),
                Some(ByteRequest::Range {
                    start: i,
                    end: i + 1,
                }),
            )
        })
        .collect();
    let got = store
        .get_partial_values(&BufferPrototype::default(), &requests)
        .unwrap();
    for (i, g) in got.iter().enumerate() {
        assert_eq!(g.as_deref(), Some(&[i as u8][..]));
    }
    let max = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("inflight ")?.parse::<usize>().ok())
        .max()
        .unwrap();
    assert!(
        (2..=3).contains(&max),
        "at most 3 at once, and more than one: {max}"
    );
}
