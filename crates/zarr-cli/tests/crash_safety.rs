//! Crash safety of `zarr import`, `zarr copy`, `zarr convert` and
//! `zarr rm`. For `import` and `copy`, the process is killed
//! with SIGKILL (`Child::kill`) at several moments while it writes an array
//! `B` into a store that already holds an array `A`. After every kill `A`
//! reads back exactly, with this library and with zarr-python 3.4.2, and
//! whatever of `B` is there decodes:
//!
//! * an existing zip archive is byte for byte what it was (writes go to a
//!   temporary copy that is renamed over the archive only when complete);
//! * a new zip archive is absent, or complete;
//! * a folder store holds `A` intact, and each chunk of `B` is either
//!   absent or complete (values are written to temporary files and renamed).
//!
//! The kills also leave stray temporary files and lock files: the next
//! writer is not blocked by them, and removes the temporary files.
//!
//! `zarr convert` (V2 to V3: in place, into a new store, with
//! `--overwrite` into a converted one) and `zarr rm` (of a member of a
//! consolidated hierarchy) are killed at the same moments, in folder
//! stores and zip archives. After each kill every array there decodes
//! completely (absent chunks read as the fill value), the arrays the
//! command was not meant to change read back exactly, a killed writer
//! leaves an existing archive byte for byte as it was, and running the
//! command again completes it; each test's function documentation says
//! which states it allows. zarr-python (one process per test) reads one
//! store of each state the kills left.

#![cfg(unix)]
#![allow(clippy::unwrap_used)]

mod common;

use common::{ok, python, s, spawn, text};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};
use zarr::array::Array;
use zarr::buffer::{NDBuffer, NDData, Order};
use zarr::chunk::Selection;
use zarr::dtype::DataType;
use zarr::store::{LocalStore, StoreRef, ZipMode, ZipStore};

/// When each writer is killed, after it starts: ten moments, denser early
/// (a process starts in a few milliseconds, and the metadata steps of
/// `convert` and `rm` come first). Every command is killed at all ten;
/// the quicker ones (`rm`, `convert --path B`) may have finished by the
/// last ones, which then check the finished state.
const KILL_AFTER_MS: [u64; 10] = [3, 6, 10, 15, 25, 40, 60, 90, 140, 200];
/// The small array `A`: int32, `A_SIDE` x `A_SIDE`, values `i * 7 - 1000`.
const A_SIDE: usize = 50;
/// The big array `B`: int32, `B_SIDE` x `B_SIDE`, values `i % 65521`,
/// written in chunks of `B_CHUNK` x `B_CHUNK` (many entries: a long write).
const B_SIDE: usize = 1024;
const B_CHUNK: &str = "16,16";

fn a_values() -> Vec<i32> {
    (0..A_SIDE * A_SIDE).map(|i| i as i32 * 7 - 1000).collect()
}

fn b_values() -> Vec<i32> {
    (0..B_SIDE * B_SIDE).map(|i| (i % 65521) as i32).collect()
}

/// The Python expressions of the same values.
const PY_VALUES: &str = r#"
import numpy as np
A = (np.arange(50 * 50, dtype="int64") * 7 - 1000).astype("int32").reshape(50, 50)
B = (np.arange(1024 * 1024, dtype="int64") % 65521).astype("int32").reshape(1024, 1024)
"#;

fn write_input(path: &Path, side: usize, values: &[i32]) {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_ne_bytes()).collect();
    let b = NDBuffer::from_parts(
        vec![side, side],
        DataType::Int32,
        Order::C,
        NDData::Fixed(bytes),
    )
    .unwrap();
    zarr::npy::write_npy(path, &b).unwrap();
}

/// How a command stopped by [`stop_after`] ended.
#[derive(Debug, PartialEq)]
enum End {
    /// SIGKILL ended it.
    Killed,
    /// It finished successfully before the kill.
    Succeeded,
    /// It finished with an error before the kill: its stderr.
    Failed(String),
}

/// Let `child` run for `ms` milliseconds, then SIGKILL it, and say how it
/// ended.
fn stop_after(mut child: Child, ms: u64) -> End {
    let deadline = Instant::now() + Duration::from_millis(ms);
    while Instant::now() < deadline && child.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_millis(1));
    }
    // Killing a child that has exited does nothing (`kill` returns `Ok`).
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    use std::os::unix::process::ExitStatusExt;
    if out.status.success() {
        End::Succeeded
    } else if out.status.signal() == Some(9) {
        End::Killed
    } else {
        End::Failed(text(&out.stderr))
    }
}

/// Let `child` run for `ms` milliseconds, then SIGKILL it. True when it
/// had already finished (successfully: anything else fails the test).
fn kill_after(child: Child, ms: u64) -> bool {
    match stop_after(child, ms) {
        End::Killed => false,
        End::Succeeded => true,
        End::Failed(err) => panic!("finished early and failed: {err}"),
    }
}

fn read_i32(store: StoreRef, path: &str) -> Vec<i32> {
    Array::open(store, path)
        .unwrap()
        .read_vec::<i32>(&Selection::all())
        .unwrap()
}

/// `A` reads back exactly from `store`; each `B*` array there decodes
/// (every chunk: the whole array is read) to `B`'s values, where a chunk
/// that is absent reads as the fill value 0 unless `complete` requires all.
fn check_ours(store: StoreRef, complete_b: bool) {
    assert_eq!(read_i32(store.clone(), "A"), a_values());
    let b = b_values();
    for name in store.list_dir("").unwrap() {
        if !name.starts_with('B') || !store.exists(&format!("{name}/zarr.json")).unwrap() {
            continue;
        }
        let got = read_i32(store.clone(), &name);
        if complete_b {
            assert_eq!(got, b, "{name}");
        } else {
            assert!(
                got.iter().zip(&b).all(|(g, w)| g == w || *g == 0),
                "{name}: a chunk with wrong values"
            );
        }
    }
}

/// zarr-python reads `A` exactly from each store (`.zip` archives with
/// `zarr.storage.ZipStore`, folders with `LocalStore`) and every `B*`
/// array there completely (zip: all of `B`; folder: `B` or 0 per element).
fn check_python(stores: &[PathBuf]) {
    let script = format!(
        r#"{PY_VALUES}
import sys, os, zipfile, zarr
for path in sys.argv[1:]:
    if path.endswith(".zip"):
        with zipfile.ZipFile(path) as z:
            assert z.testzip() is None, path
            names = {{n.split("/")[0] for n in z.namelist() if n.endswith("/zarr.json")}}
        store = zarr.storage.ZipStore(path, mode="r")
    else:
        names = {{n for n in os.listdir(path) if os.path.exists(os.path.join(path, n, "zarr.json"))}}
        store = zarr.storage.LocalStore(path, read_only=True)
    a = zarr.open_array(store=store, path="A", mode="r")
    assert (a[:] == A).all(), path
    for name in sorted(n for n in names if n.startswith("B")):
        got = zarr.open_array(store=store, path=name, mode="r")[:]
        if path.endswith(".zip"):
            assert (got == B).all(), (path, name)
        else:
            assert ((got == B) | (got == 0)).all(), (path, name)
print("ok", len(sys.argv) - 1)
"#
    );
    let out = Command::new(python())
        .arg("-c")
        .arg(&script)
        .args(stores)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python failed:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_eq!(text(&out.stdout).trim(), format!("ok {}", stores.len()));
}

/// Reserved (temporary or lock) files of the archive `name` in `dir`.
fn reserved_of(dir: &Path, name: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| zarr::store::is_temp_name(n) && n.starts_with(&format!(".{name}.")))
        .collect()
}

fn zip_read(path: &Path) -> StoreRef {
    let z = ZipStore::open(path, ZipMode::Read).unwrap();
    assert_eq!(z.recovered(), None, "{} needed recovery", path.display());
    Arc::new(z)
}

#[test]
fn killed_writers_never_break_what_was_committed() {
    let t0 = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a_npy = d.join("a.npy");
    let b_npy = d.join("b.npy");
    write_input(&a_npy, A_SIDE, &a_values());
    write_input(&b_npy, B_SIDE, &b_values());
    let (a_npy, b_npy) = (s(&a_npy).to_string(), s(&b_npy).to_string());
    let mut for_python = Vec::new();

    // 1. `zarr import` into an existing zip archive.
    let zip = d.join("data.zip");
    ok(&["import", &a_npy, s(&zip), "--path", "A"]);
    let mut killed = 0;
    for (i, ms) in KILL_AFTER_MS.into_iter().enumerate() {
        let before = std::fs::read(&zip).unwrap();
        let b = format!("B{i}");
        let child = spawn(&["import", &b_npy, s(&zip), "--path", &b, "--chunks", B_CHUNK]);
        let finished = kill_after(child, ms);
        if finished {
            check_ours(zip_read(&zip), true);
        } else {
            killed += 1;
            assert_eq!(std::fs::read(&zip).unwrap(), before, "killed after {ms} ms");
            check_ours(zip_read(&zip), true);
        }
        let snapshot = d.join(format!("import-{i}.zip"));
        std::fs::copy(&zip, &snapshot).unwrap();
        for_python.push(snapshot);
    }
    assert!(killed >= 3, "the import is too fast to be killed: {killed}");
    // The dead writers' locks are gone with them; the next writer removes
    // their temporary files and leaves none of its own.
    ok(&["import", &a_npy, s(&zip), "--path", "C"]);
    assert_eq!(reserved_of(d, "data.zip"), Vec::<String>::new());

    // 2. `zarr import` into a new zip archive: absent, or complete.
    for (i, ms) in KILL_AFTER_MS.into_iter().enumerate() {
        let new = d.join(format!("new-{i}.zip"));
        let child = spawn(&[
            "import",
            &b_npy,
            s(&new),
            "--path",
            "B",
            "--chunks",
            B_CHUNK,
        ]);
        let finished = kill_after(child, ms);
        if new.exists() {
            let store = zip_read(&new);
            assert_eq!(read_i32(store, "B"), b_values(), "killed after {ms} ms");
        } else {
            assert!(!finished, "finished without an archive");
        }
    }

    // 3. A folder store.
    let folder = d.join("data.zarr");
    ok(&["import", &a_npy, s(&folder), "--path", "A"]);
    for (i, ms) in KILL_AFTER_MS.into_iter().enumerate() {
        let b = format!("B{i}");
        let child = spawn(&[
            "import",
            &b_npy,
            s(&folder),
            "--path",
            &b,
            "--chunks",
            B_CHUNK,
        ]);
        let finished = kill_after(child, ms);
        let store: StoreRef = Arc::new(LocalStore::new(&folder, true).unwrap());
        check_ours(store, false);
        if finished {
            let store: StoreRef = Arc::new(LocalStore::new(&folder, true).unwrap());
            assert_eq!(read_i32(store, &b), b_values());
        }
    }
    for_python.push(folder.clone());

    // 4. `zarr copy` of a complete `B` into the existing zip archive (and
    //    into the folder, which then holds a second copy).
    let src = d.join("src.zarr");
    ok(&[
        "import",
        &b_npy,
        s(&src),
        "--path",
        "Bsrc",
        "--chunks",
        B_CHUNK,
    ]);
    for (i, ms) in KILL_AFTER_MS.into_iter().enumerate().skip(1) {
        let before = std::fs::read(&zip).unwrap();
        let child = spawn(&[
            "copy",
            s(&src),
            s(&zip),
            "--path",
            "Bsrc",
            "--chunks",
            "32,32",
        ]);
        if kill_after(child, ms) {
            check_ours(zip_read(&zip), true);
            break;
        }
        assert_eq!(
            std::fs::read(&zip).unwrap(),
            before,
            "copy killed after {ms} ms"
        );
        check_ours(zip_read(&zip), true);
        let snapshot = d.join(format!("copy-{i}.zip"));
        std::fs::copy(&zip, &snapshot).unwrap();
        for_python.push(snapshot);
    }
    for ms in [20, 100] {
        let child = spawn(&[
            "copy",
            s(&src),
            s(&folder),
            "--path",
            "Bsrc",
            "--chunks",
            "32,32",
        ]);
        kill_after(child, ms);
        let store: StoreRef = Arc::new(LocalStore::new(&folder, true).unwrap());
        check_ours(store, false);
        let _ = std::fs::remove_dir_all(folder.join("Bsrc"));
    }

    check_python(&for_python);
    eprintln!("crash safety test: {:.1} s", t0.elapsed().as_secs_f64());
}

/// While one `zarr import` writes an archive, a second writer (another
/// process) fails at once with a clear error naming the archive, and the
/// first one's additions are all there when it finishes.
#[test]
fn a_second_writer_process_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a_npy = d.join("a.npy");
    let b_npy = d.join("b.npy");
    write_input(&a_npy, A_SIDE, &a_values());
    write_input(&b_npy, B_SIDE, &b_values());
    let zip = d.join("data.zip");
    ok(&["import", s(&a_npy), s(&zip), "--path", "A"]);
    // Small chunks: a write of a few seconds.
    let mut first = spawn(&[
        "import",
        s(&b_npy),
        s(&zip),
        "--path",
        "B",
        "--chunks",
        "8,8",
    ]);
    let lock = d.join(".data.zip.zarr-lock");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !lock.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(lock.exists(), "the first writer never took its lock");
    let err = common::fails(&["import", s(&a_npy), s(&zip), "--path", "C"]);
    assert!(
        first.try_wait().unwrap().is_none(),
        "the first writer finished too soon for this test"
    );
    assert!(
        err.contains(s(&zip)) && err.contains("another writer"),
        "{err}"
    );
    let status = first.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let store = zip_read(&zip);
    assert_eq!(read_i32(store.clone(), "B"), b_values());
    assert!(!store.exists("C/zarr.json").unwrap());
    check_ours(store, true);
    assert_eq!(reserved_of(d, "data.zip"), Vec::<String>::new());
}

// ---------------------------------------------------------------------------
// `zarr convert` and `zarr rm`.

/// The V2 array `B` that `zarr convert` converts metadata only: int32,
/// `B2_SIDE` x `B2_SIDE` in 16 x 16 chunks (256 chunk objects to copy when
/// converting into another store), values `i % 65521`.
const B2_SIDE: usize = 256;
/// The V2 array `Q` that `zarr convert` re-encodes (its type-changing
/// `quantize` filter has no V3 form zarr-python reads): float64,
/// `Q_SIDE` x `Q_SIDE` in 16 x 16 chunks (144 chunks to decode, encode and
/// write, the bulk of a conversion in place), values `(i % 1000) * 0.25`
/// (exact through `quantize(digits=3, astype=float32)`).
const Q_SIDE: usize = 192;

fn b2_values() -> Vec<i32> {
    (0..B2_SIDE * B2_SIDE).map(|i| (i % 65521) as i32).collect()
}

fn q_values() -> Vec<f64> {
    (0..Q_SIDE * Q_SIDE)
        .map(|i| (i % 1000) as f64 * 0.25)
        .collect()
}

/// The Python expressions of the values of [`PyChecks::run`].
const PY_SPEC_VALUES: &str = r#"
import numpy as np
VALUES = {
    "A": (np.arange(50 * 50, dtype="int64") * 7 - 1000).astype("int32").reshape(50, 50),
    "B": (np.arange(1024 * 1024, dtype="int64") % 65521).astype("int32").reshape(1024, 1024),
    "B2": (np.arange(256 * 256, dtype="int64") % 65521).astype("int32").reshape(256, 256),
    "Q": ((np.arange(192 * 192) % 1000) * 0.25).reshape(192, 192),
}
"#;

/// Files (relative path, with `/`) and their bytes.
type Files = std::collections::BTreeMap<String, Vec<u8>>;

/// Each file below `dir` and its bytes, without the reserved (temporary
/// and lock) files of killed writers, and without the folder `skip` of
/// `dir` (`""`: none).
fn files_of_except(dir: &Path, skip: &str) -> Files {
    fn walk(root: &Path, dir: &Path, skip: &Path, out: &mut Files) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            let p = e.path();
            if zarr::store::is_temp_name(&name) || p == skip {
                continue;
            }
            if e.file_type().unwrap().is_dir() {
                walk(root, &p, skip, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = Files::new();
    let skip = if skip.is_empty() {
        PathBuf::new()
    } else {
        dir.join(skip)
    };
    walk(dir, dir, &skip, &mut out);
    out
}

/// [`files_of_except`] with nothing skipped.
fn files_of(dir: &Path) -> Files {
    files_of_except(dir, "")
}

/// A copy of the folder store `src` at `dst`, its files hard-linked: fast,
/// and safe here, as `convert` and `rm` never change a file in place (a
/// folder store writes a key to a temporary file renamed over it, and
/// deletes by unlinking).
fn clone_tree(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            clone_tree(&e.path(), &to);
        } else {
            std::fs::hard_link(e.path(), &to).unwrap();
        }
    }
}

fn local_read(dir: &Path) -> StoreRef {
    Arc::new(LocalStore::new(dir, true).unwrap())
}

/// Compare the values read from an array with the expected ones: equal,
/// or (`partial`) each element equal or the fill value (absent chunks).
fn same_values<T: PartialEq + Default>(what: &str, got: &[T], want: &[T], partial: bool) {
    assert_eq!(got.len(), want.len(), "{what}: wrong size");
    if partial {
        assert!(
            got.iter()
                .zip(want)
                .all(|(g, w)| g == w || *g == T::default()),
            "{what}: an element that is neither its value nor the fill value"
        );
    } else {
        assert!(got == want, "{what}: wrong values");
    }
}

/// Read the whole array `name` of the convert hierarchy (`A`, `B` or `Q`,
/// V2 or V3) and compare it with its values (see [`same_values`]);
/// returns its Zarr format.
fn check_array(store: &StoreRef, name: &str, partial: bool) -> u8 {
    let a = Array::open(store.clone(), name).unwrap();
    let all = Selection::all();
    match name {
        "A" => same_values(
            name,
            &a.read_vec::<i32>(&all).unwrap(),
            &a_values(),
            partial,
        ),
        "B" => same_values(
            name,
            &a.read_vec::<i32>(&all).unwrap(),
            &b2_values(),
            partial,
        ),
        "Q" => same_values(
            name,
            &a.read_vec::<f64>(&all).unwrap(),
            &q_values(),
            partial,
        ),
        _ => unreachable!("{name}"),
    }
    a.zarr_format()
}

/// The V2 hierarchy `zarr convert` works on: a root group (attributes
/// and, written by `zarr consolidate`, consolidated metadata `.zmetadata`)
/// holding `A` (one chunk), `B` and `Q`.
fn write_v2_hierarchy(dir: &Path) {
    use serde_json::json;
    use zarr::array::ArrayBuilder;
    let store = common::local(dir);
    let attrs = json!({"title": "v2"}).as_object().unwrap().clone();
    zarr::group::Group::create(store.clone(), "", 2, attrs, false).unwrap();
    let a = ArrayBuilder::new(vec![A_SIDE as u64; 2], DataType::Int32)
        .chunks(vec![A_SIDE as u64; 2])
        .zarr_format(2)
        .create(store.clone(), "A")
        .unwrap();
    a.write_slice(&Selection::all(), &a_values()).unwrap();
    let b = ArrayBuilder::new(vec![B2_SIDE as u64; 2], DataType::Int32)
        .chunks(vec![16, 16])
        .zarr_format(2)
        .create(store.clone(), "B")
        .unwrap();
    b.write_slice(&Selection::all(), &b2_values()).unwrap();
    let quantize = json!({"id": "quantize", "digits": 3, "dtype": "<f8", "astype": "<f4"});
    let q = ArrayBuilder::new(vec![Q_SIDE as u64; 2], DataType::Float64)
        .chunks(vec![16, 16])
        .zarr_format(2)
        .filters_v2(vec![quantize.as_object().unwrap().clone()])
        .create(store, "Q")
        .unwrap();
    q.write_slice(&Selection::all(), &q_values()).unwrap();
    ok(&["consolidate", s(dir)]);
}

/// The convert hierarchy in `store` after a killed conversion into it
/// (not in place): a `zarr.json` at the root makes it a V3 group (with the
/// V2 root's attributes); `A` and
/// `B` (chunks copied before their `zarr.json`) are complete where their
/// `zarr.json` is; `Q` (created, then filled) may miss chunks. With
/// `complete`, all three are there and exact.
fn check_v3_output(store: &StoreRef, complete: bool) {
    if complete || store.exists("zarr.json").unwrap() {
        let root = zarr::group::Group::open(
            store.clone(),
            "",
            Some(3),
            zarr::group::UseConsolidated::Never,
        )
        .unwrap();
        assert_eq!(root.attributes()["title"], "v2");
        if complete {
            assert_eq!(root.keys().unwrap(), ["A", "B", "Q"]);
        }
    }
    for name in ["A", "B", "Q"] {
        if complete || store.exists(&format!("{name}/zarr.json")).unwrap() {
            let partial = name == "Q" && !complete;
            assert_eq!(check_array(store, name, partial), 3, "{name}");
        }
    }
}

/// No V2 metadata document is left in the folder `dir` (a conversion in
/// place completed).
fn assert_no_v2_documents(dir: &Path) {
    let left: Vec<String> = files_of(dir)
        .into_keys()
        .filter(|k| {
            let name = k.rsplit('/').next().unwrap();
            [".zarray", ".zattrs", ".zgroup", ".zmetadata"].contains(&name)
        })
        .collect();
    assert_eq!(left, Vec::<String>::new(), "{}", dir.display());
}

/// A store for zarr-python to check, with what must hold there (see
/// [`PyChecks::run`]).
struct PySpec(serde_json::Map<String, serde_json::Value>);

impl PySpec {
    fn new(store: &Path) -> Self {
        let mut m = serde_json::Map::new();
        m.insert("store".into(), s(store).into());
        PySpec(m)
    }

    /// Require `key` (builder style).
    fn with(mut self, key: &str, value: serde_json::Value) -> Self {
        self.0.insert(key.into(), value);
        self
    }
}

/// The metadata documents of the store at `path` (a folder, or a `.zip`
/// archive), with their sizes: what tells apart the states that kills
/// leave (which nodes are V2, V3, both or gone; which consolidated
/// metadata the root has), chunks aside.
fn layout(path: &Path) -> String {
    let store = if s(path).ends_with(".zip") {
        zip_read(path)
    } else {
        local_read(path)
    };
    let mut out = String::new();
    for key in store.list_prefix("").unwrap() {
        let name = key.rsplit('/').next().unwrap();
        if ["zarr.json", ".zarray", ".zgroup", ".zattrs", ".zmetadata"].contains(&name) {
            out += &format!("{key}:{} ", store.getsize(&key).unwrap());
        }
    }
    out
}

/// The stores zarr-python checks, all in one process (a Python start and
/// `import zarr` take a while).
#[derive(Default)]
struct PyChecks {
    specs: Vec<serde_json::Value>,
    seen: std::collections::BTreeSet<String>,
}

impl PyChecks {
    /// Check `spec`'s store, unless a store with the same requirements and
    /// the same [`layout`] is checked already: zarr-python reads one store
    /// of each state the kills left (this library reads every one).
    fn add(&mut self, spec: PySpec) {
        let mut checks = spec.0.clone();
        let store = checks.remove("store").unwrap();
        let key = format!(
            "{}|{}",
            serde_json::Value::from(checks),
            layout(Path::new(store.as_str().unwrap()))
        );
        if self.seen.insert(key) {
            self.specs.push(spec.0.into());
        }
    }

    /// One zarr-python process checks every store (`.zip` archives through
    /// `zarr.storage.ZipStore`, after `testzip`; folders through
    /// `LocalStore`). Each spec names, by node path, the values (keys of
    /// `VALUES` in [`PY_SPEC_VALUES`]) of arrays that must be there and
    /// read exactly (`exact`), that read exactly where their metadata is
    /// (`complete_if_present`), or that read as their values or the fill
    /// value 0 where their metadata is (`partial_if_present`); the Zarr
    /// format those arrays must have (`format`); the node paths that must
    /// be absent (`absent`); and the lists of member paths (sorted, all
    /// depths) that the root group may have, opened as zarr-python opens
    /// it, consolidated metadata first (`members`: one of them).
    fn run(self) {
        let script = format!(
            r#"{PY_SPEC_VALUES}
import sys, os, json, zipfile, zarr
specs = json.loads(sys.argv[1])
for spec in specs:
    path = spec["store"]
    if path.endswith(".zip"):
        with zipfile.ZipFile(path) as z:
            assert z.testzip() is None, path
            names = set(z.namelist())
        store = zarr.storage.ZipStore(path, mode="r")
        has = lambda p: f"{{p}}/zarr.json" in names or f"{{p}}/.zarray" in names
    else:
        store = zarr.storage.LocalStore(path, read_only=True)
        has = lambda p: any(os.path.exists(os.path.join(path, p, d)) for d in ("zarr.json", ".zarray"))
    def read(name, values):
        a = zarr.open_array(store=store, path=name, mode="r")
        if "format" in spec:
            assert a.metadata.zarr_format == spec["format"], (path, name, a.metadata.zarr_format)
        got = a[:]
        want = VALUES[values]
        assert got.shape == want.shape, (path, name, got.shape)
        return got, want
    for name, values in spec.get("exact", {{}}).items():
        got, want = read(name, values)
        assert (got == want).all(), (path, name)
    for name, values in spec.get("complete_if_present", {{}}).items():
        if has(name):
            got, want = read(name, values)
            assert (got == want).all(), (path, name)
    for name, values in spec.get("partial_if_present", {{}}).items():
        if has(name):
            got, want = read(name, values)
            assert ((got == want) | (got == 0)).all(), (path, name)
    for name in spec.get("absent", []):
        assert not has(name), (path, name)
    if "members" in spec:
        root = zarr.open_group(store=store, mode="r")
        members = sorted(k for k, _ in root.members(max_depth=None))
        assert members in spec["members"], (path, members)
print("ok", len(specs))
"#
        );
        let n = self.specs.len();
        let out = Command::new(python())
            .arg("-c")
            .arg(&script)
            .arg(serde_json::Value::from(self.specs).to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "python failed:\n{}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout).trim(), format!("ok {n}"));
        eprintln!("zarr-python checked {n} stores");
    }
}

/// `zarr convert` (V2 to V3) killed at each of [`KILL_AFTER_MS`], for
/// folder stores:
///
/// * in place (`convert S S`): every array reads back exactly after every
///   kill, as V2 (not reached yet) or V3 (converted: its `zarr.json` is
///   written once its chunks are all there, V3 chunks beside the V2 ones
///   for the re-encoded `Q`, and only then are its V2 documents deleted);
///   the root is a V2 or a V3 group. Running it again (with `--overwrite`
///   where the killed run had written a V3 node) completes it: all V3, no
///   V2 document left, values exact. (Where the kill fell while `Q`'s V2
///   chunk objects were being deleted, after its `.zarray` and `.zattrs`,
///   the rest of them stay: no reader sees them, the V3 `Q` reads `c/...`
///   keys, and the rerun does not delete them);
/// * into a new folder: the V2 source is unchanged file for file; the
///   output is what [`check_v3_output`] allows; running again completes;
/// * with `--overwrite` into a folder holding a complete conversion: `A`
///   and `B` stay exact throughout (each key is replaced by a rename), the
///   re-encoded `Q` is replaced (absent or partly written after a kill);
///   running again completes.
///
/// zarr-python reads the states after the kills and after completion.
#[test]
fn killed_conversions_leave_folder_stores_readable() {
    let t0 = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let v2 = d.join("v2.zarr");
    write_v2_hierarchy(&v2);
    let v2_files = files_of(&v2);
    let exact_all = serde_json::json!({"A": "A", "B": "B2", "Q": "Q"});
    let mut py = PyChecks::default();
    py.add(PySpec::new(&v2).with("exact", exact_all.clone()));
    let mut killed = [0; 3];

    // 1. In place.
    for (i, ms) in KILL_AFTER_MS.into_iter().enumerate() {
        let s_i = d.join(format!("inplace-{i}.zarr"));
        clone_tree(&v2, &s_i);
        let end = stop_after(spawn(&["convert", s(&s_i), s(&s_i), "--remove-v2"]), ms);
        if let End::Failed(err) = &end {
            panic!("convert in place failed after {ms} ms: {err}");
        }
        let store = local_read(&s_i);
        let root =
            zarr::group::Group::open(store.clone(), "", None, zarr::group::UseConsolidated::Auto)
                .unwrap();
        assert_eq!(root.attributes()["title"], "v2", "{ms} ms");
        for name in ["A", "B", "Q"] {
            check_array(&store, name, false);
        }
        py.add(PySpec::new(&s_i).with("exact", exact_all.clone()));
        if end == End::Succeeded {
            assert_no_v2_documents(&s_i);
            continue;
        }
        killed[0] += 1;
        let again = d.join(format!("inplace-{i}-again.zarr"));
        clone_tree(&s_i, &again);
        resume_in_place(&again);
        let store = local_read(&again);
        for name in ["A", "B", "Q"] {
            assert_eq!(check_array(&store, name, false), 3, "{name}");
        }
        assert_no_v2_documents(&again);
        py.add(
            PySpec::new(&again)
                .with("exact", exact_all.clone())
                .with("format", 3.into()),
        );
    }

    // 2. Into a new folder.
    let mut complete = None;
    for (i, ms) in KILL_AFTER_MS.into_iter().enumerate() {
        let out = d.join(format!("out-{i}.zarr"));
        let end = stop_after(spawn(&["convert", s(&v2), s(&out)]), ms);
        if let End::Failed(err) = &end {
            panic!("convert failed after {ms} ms: {err}");
        }
        assert!(files_of(&v2) == v2_files, "the source changed ({ms} ms)");
        if out.exists() {
            check_v3_output(&local_read(&out), end == End::Succeeded);
            py.add(
                PySpec::new(&out)
                    .with(
                        "complete_if_present",
                        serde_json::json!({"A": "A", "B": "B2"}),
                    )
                    .with("partial_if_present", serde_json::json!({"Q": "Q"})),
            );
        }
        if end == End::Killed {
            killed[1] += 1;
            let again = d.join(format!("out-{i}-again.zarr"));
            if out.exists() {
                clone_tree(&out, &again);
            }
            resume_into(&v2, &again);
            check_v3_output(&local_read(&again), true);
            py.add(
                PySpec::new(&again)
                    .with("exact", exact_all.clone())
                    .with("format", 3.into())
                    .with("members", serde_json::json!([["A", "B", "Q"]])),
            );
            complete.get_or_insert(again);
        }
    }

    // 3. With `--overwrite` into a folder holding a complete conversion.
    let complete = complete.unwrap();
    for (i, ms) in KILL_AFTER_MS.into_iter().enumerate() {
        let args = ["convert", s(&v2), s(&complete), "--overwrite"];
        let end = stop_after(spawn(&args), ms);
        if let End::Failed(err) = &end {
            panic!("convert --overwrite failed after {ms} ms: {err}");
        }
        let store = local_read(&complete);
        for name in ["A", "B"] {
            assert_eq!(check_array(&store, name, false), 3, "{name} ({ms} ms)");
        }
        if store.exists("Q/zarr.json").unwrap() {
            check_array(&store, "Q", true);
        }
        let snapshot = d.join(format!("overwrite-{i}.zarr"));
        clone_tree(&complete, &snapshot);
        py.add(
            PySpec::new(&snapshot)
                .with("exact", serde_json::json!({"A": "A", "B": "B2"}))
                .with("partial_if_present", serde_json::json!({"Q": "Q"}))
                .with("format", 3.into()),
        );
        if end == End::Killed {
            killed[2] += 1;
            ok(&args);
            check_v3_output(&local_read(&complete), true);
        }
    }
    assert!(files_of(&v2) == v2_files, "the source changed");
    eprintln!("killed conversions (in place, new, overwrite): {killed:?}");
    assert!(
        killed.iter().all(|&k| k >= 3),
        "the conversions are too fast to be killed: {killed:?}"
    );
    py.run();
    eprintln!(
        "convert crash test (folders): {:.1} s",
        t0.elapsed().as_secs_f64()
    );
}

/// Run `zarr convert S S` again after a killed run: as it was, when the
/// killed run wrote no V3 node; otherwise that is refused (a V3 node is
/// there: one `error:` line) and `--overwrite` completes it.
fn resume_in_place(store: &Path) {
    let o = common::zarr(&["convert", s(store), s(store), "--remove-v2"]);
    if !o.status.success() {
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains("already exists"), "{err}");
        ok(&["convert", s(store), s(store), "--remove-v2", "--overwrite"]);
    }
}

/// Run `zarr convert SRC DST` again after a killed run, with
/// `--overwrite` when it is refused because the killed run wrote V3
/// nodes into `dst`.
fn resume_into(src: &Path, dst: &Path) {
    let o = common::zarr(&["convert", s(src), s(dst)]);
    if !o.status.success() {
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains("already exists"), "{err}");
        ok(&["convert", s(src), s(dst), "--overwrite"]);
    }
}

/// The archive at `path` is byte for byte `before`, or (only when the kill
/// came after its commit, the rename) holds the complete `B` converted
/// from the V2 hierarchy. True when it changed.
fn unchanged_or_with_b(path: &Path, before: &[u8], end: &End) -> bool {
    if std::fs::read(path).unwrap() == before {
        return false;
    }
    let store = zip_read(path);
    assert!(
        *end == End::Succeeded || store.exists("B/zarr.json").unwrap(),
        "{} changed without its conversion",
        path.display()
    );
    assert_eq!(check_array(&store, "B", false), 3);
    true
}

/// `zarr convert` killed at each of [`KILL_AFTER_MS`], with zip archives
/// (one writer at a time, every change committed on close by renaming a
/// complete copy over the archive):
///
/// * in place (`convert S.zip S.zip`): refused before anything is written
///   (a zip archive cannot delete the V2 documents); whether killed or
///   refused, the archive is byte for byte as it was and reads as V2.
///   Converting it into a new archive works;
/// * from a folder into a new archive: the archive is absent or complete;
///   running again completes;
/// * `--path B` into an archive holding a committed array `P`: the archive
///   is byte for byte as it was after a kill; running again completes, `P`
///   intact;
/// * `--path B --overwrite` into that archive (holding a complete `B`):
///   byte for byte as it was after a kill, complete when it finishes; the
///   next writer removes the killed writers' temporary files. (Not the
///   whole hierarchy: replacing the re-encoded `Q` deletes it first, which
///   a zip archive cannot do.)
///
/// zarr-python reads the archives after the kills and after completion.
#[test]
fn killed_conversions_leave_zip_archives_as_they_were() {
    let t0 = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let v2 = d.join("v2.zarr");
    write_v2_hierarchy(&v2);
    let exact_all = serde_json::json!({"A": "A", "B": "B2", "Q": "Q"});
    let mut py = PyChecks::default();
    let mut killed = [0; 3];

    // 1. In place: refused, the archive untouched.
    let v2_zip = d.join("v2.zip");
    ok(&["copy", s(&v2), s(&v2_zip)]);
    let before = std::fs::read(&v2_zip).unwrap();
    for ms in KILL_AFTER_MS {
        let end = stop_after(
            spawn(&["convert", s(&v2_zip), s(&v2_zip), "--remove-v2"]),
            ms,
        );
        match &end {
            End::Succeeded => panic!("converted in place in a zip archive"),
            End::Failed(err) => assert!(
                err.starts_with("error: ") && err.contains(s(&v2_zip)) && err.contains("in place"),
                "{err}"
            ),
            End::Killed => {}
        }
        assert!(
            std::fs::read(&v2_zip).unwrap() == before,
            "the archive changed ({end:?} after {ms} ms)"
        );
        let store = zip_read(&v2_zip);
        for name in ["A", "B", "Q"] {
            assert_eq!(check_array(&store, name, false), 2, "{name}");
        }
    }
    py.add(
        PySpec::new(&v2_zip)
            .with("exact", exact_all.clone())
            .with("format", 2.into()),
    );
    let from_zip = d.join("from-zip.zip");
    ok(&["convert", s(&v2_zip), s(&from_zip)]);
    check_v3_output(&zip_read(&from_zip), true);
    py.add(
        PySpec::new(&from_zip)
            .with("exact", exact_all.clone())
            .with("format", 3.into()),
    );

    // 2. Into a new archive: absent or complete.
    for (i, ms) in KILL_AFTER_MS.into_iter().enumerate() {
        let new = d.join(format!("new-{i}.zip"));
        let end = stop_after(spawn(&["convert", s(&v2), s(&new)]), ms);
        if let End::Failed(err) = &end {
            panic!("convert failed after {ms} ms: {err}");
        }
        if new.exists() {
            check_v3_output(&zip_read(&new), true);
        } else {
            assert_eq!(end, End::Killed, "finished without an archive");
            killed[0] += 1;
            ok(&["convert", s(&v2), s(&new)]);
            check_v3_output(&zip_read(&new), true);
        }
        // No temporary archive is left; a lock file may be, when the kill
        // came after the commit (the next writer of the archive reuses it).
        let temps: Vec<String> = reserved_of(d, &format!("new-{i}.zip"))
            .into_iter()
            .filter(|n| n.ends_with(zarr::store::TEMP_SUFFIX))
            .collect();
        assert_eq!(temps, Vec::<String>::new());
        py.add(
            PySpec::new(&new)
                .with("exact", exact_all.clone())
                .with("format", 3.into()),
        );
    }

    // 3. `--path B` into an archive holding `P`.
    let a_npy = d.join("a.npy");
    write_input(&a_npy, A_SIDE, &a_values());
    let with_p = d.join("with-p.zip");
    ok(&["import", s(&a_npy), s(&with_p), "--path", "P"]);
    let p_and_b = serde_json::json!({"P": "A", "B": "B2"});
    let mut target = None;
    for (i, ms) in KILL_AFTER_MS.into_iter().enumerate() {
        let e = d.join(format!("e-{i}.zip"));
        std::fs::copy(&with_p, &e).unwrap();
        let before = std::fs::read(&e).unwrap();
        let end = stop_after(spawn(&["convert", s(&v2), s(&e), "--path", "B"]), ms);
        if let End::Failed(err) = &end {
            panic!("convert --path B failed after {ms} ms: {err}");
        }
        if !unchanged_or_with_b(&e, &before, &end) {
            assert_eq!(end, End::Killed);
            killed[1] += 1;
            ok(&["convert", s(&v2), s(&e), "--path", "B"]);
        }
        let store = zip_read(&e);
        assert_eq!(read_i32(store.clone(), "P"), a_values());
        assert_eq!(check_array(&store, "B", false), 3);
        py.add(PySpec::new(&e).with("exact", p_and_b.clone()));
        target.get_or_insert(e);
    }

    // 4. `--path B --overwrite` into that archive.
    let target = target.unwrap();
    let args = ["convert", s(&v2), s(&target), "--path", "B", "--overwrite"];
    for ms in KILL_AFTER_MS {
        let before = std::fs::read(&target).unwrap();
        let end = stop_after(spawn(&args), ms);
        if let End::Failed(err) = &end {
            panic!("convert --path B --overwrite failed after {ms} ms: {err}");
        }
        if !unchanged_or_with_b(&target, &before, &end) && end == End::Killed {
            killed[2] += 1;
        }
        let store = zip_read(&target);
        assert_eq!(read_i32(store.clone(), "P"), a_values());
        assert_eq!(check_array(&store, "B", false), 3);
    }
    let snapshot = d.join("overwritten-killed.zip");
    std::fs::copy(&target, &snapshot).unwrap();
    py.add(PySpec::new(&snapshot).with("exact", p_and_b.clone()));
    ok(&args);
    let name = target.file_name().unwrap().to_str().unwrap();
    assert_eq!(reserved_of(d, name), Vec::<String>::new());
    let store = zip_read(&target);
    assert_eq!(read_i32(store.clone(), "P"), a_values());
    assert_eq!(check_array(&store, "B", false), 3);
    py.add(PySpec::new(&target).with("exact", p_and_b));

    eprintln!("killed conversions (new, --path B, --overwrite): {killed:?}");
    assert!(
        killed.iter().all(|&k| k >= 3),
        "the conversions are too fast to be killed: {killed:?}"
    );
    py.run();
    eprintln!(
        "convert crash test (zip): {:.1} s",
        t0.elapsed().as_secs_f64()
    );
}

/// `zarr convert S.zip S.zip --remove-v2` is refused with one error line before
/// anything is written: the archive stays byte for byte as it was. (It
/// used to convert the root and the first array, fail on deleting their V2
/// documents, and commit that on the way out: a V3 root hiding the other,
/// still V2, members.)
#[test]
fn converting_a_zip_archive_in_place_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a_npy = d.join("a.npy");
    write_input(&a_npy, A_SIDE, &a_values());
    let v2 = d.join("v2.zarr");
    zarr::group::Group::create(common::local(&v2), "", 2, Default::default(), false).unwrap();
    for path in ["A", "C"] {
        ok(&[
            "import",
            s(&a_npy),
            s(&v2),
            "--path",
            path,
            "--zarr-format",
            "2",
        ]);
    }
    let zip = d.join("v2.zip");
    ok(&["copy", s(&v2), s(&zip)]);
    let before = std::fs::read(&zip).unwrap();
    let err = common::fails(&["convert", s(&zip), s(&zip), "--remove-v2"]);
    assert!(
        err.contains(s(&zip))
            && err.contains("in place")
            && err.contains("does not support deletes"),
        "{err}"
    );
    assert!(
        std::fs::read(&zip).unwrap() == before,
        "the archive changed"
    );
    assert_eq!(reserved_of(d, "v2.zip"), Vec::<String>::new());
    // Keeping the V2 documents (the default) deletes nothing: the archive
    // gets the V3 documents beside them, and both formats read it.
    let out = ok(&["convert", s(&zip), s(&zip)]);
    assert!(out.contains("kept"), "{out}");
    let store = zip_read(&zip);
    for path in ["", "A", "C"] {
        assert!(store
            .exists(format!("{path}/zarr.json").trim_start_matches('/'))
            .unwrap());
    }
    assert!(store.exists("A/.zarray").unwrap());
    assert_eq!(read_i32(store.clone(), "A"), a_values());
    assert_eq!(Array::open(store, "A").unwrap().zarr_format(), 3);
}

/// The chunk side of the rm hierarchy's `B`.
const RM_CHUNK: usize = 16;
/// The member paths of the rm hierarchy, before and after `rm --path B`.
const RM_BEFORE: [&str; 5] = ["A", "B", "C", "g", "g/D"];
const RM_AFTER: [&str; 4] = ["A", "C", "g", "g/D"];

/// The consolidated hierarchy `zarr rm` works on, in the folder `dir`:
/// V3 arrays `A`, `C` and `g/D` (`A`'s values, imported) and `B` (`B`'s
/// values, 1024 x 1024 int32 in 16 x 16 chunks: 4096 chunk files, a
/// removal that takes a while), then `zarr consolidate`. `B` has no
/// compressor and its chunk files are written directly (the raw
/// little-endian values the `bytes` codec reads): writing them through a
/// store takes seconds in a debug build.
fn write_rm_hierarchy(dir: &Path, a_npy: &str) {
    for path in ["A", "C", "g/D"] {
        ok(&["import", a_npy, s(dir), "--path", path]);
    }
    zarr::array::ArrayBuilder::new(vec![B_SIDE as u64; 2], DataType::Int32)
        .chunks(vec![RM_CHUNK as u64; 2])
        .compressors(vec![])
        .create(common::local(dir), "B")
        .unwrap();
    let b = b_values();
    let n = RM_CHUNK;
    for ci in 0..B_SIDE / n {
        let row = dir.join(format!("B/c/{ci}"));
        std::fs::create_dir_all(&row).unwrap();
        for cj in 0..B_SIDE / n {
            let mut chunk = Vec::with_capacity(n * n * 4);
            for r in ci * n..(ci + 1) * n {
                for v in &b[r * B_SIDE + cj * n..r * B_SIDE + (cj + 1) * n] {
                    chunk.extend_from_slice(&v.to_le_bytes());
                }
            }
            std::fs::write(row.join(cj.to_string()), chunk).unwrap();
        }
    }
    ok(&["consolidate", s(dir)]);
}

/// The member paths named by the root's consolidated metadata.
fn consolidated_members(store: &StoreRef) -> Vec<String> {
    let root = zarr::group::Group::open(
        store.clone(),
        "",
        None,
        zarr::group::UseConsolidated::Required,
    )
    .unwrap();
    root.consolidated_metadata()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

/// The files of the rm hierarchy that `rm --path B` must not touch: all
/// but `B`'s and the root's `zarr.json` (whose consolidated metadata it
/// rewrites).
fn files_besides_b(dir: &Path) -> Files {
    let mut files = files_of_except(dir, "B");
    files.remove("zarr.json");
    files
}

/// The rm hierarchy in the folder `dir` after a killed `rm --path B`:
/// every other file is as it was (`untouched`); `A`, `C` and `g/D` read
/// exactly; the consolidated metadata parses and names the members before
/// the removal (the root's `zarr.json` is then byte for byte `root`) or
/// after it. The consolidated metadata is rewritten first, then `B`'s
/// `zarr.json` deleted, then the rest of its folder: before the removal
/// `B` is whole (it reads exactly); after it, `B` is whole (killed before
/// its `zarr.json` went) or has no `zarr.json` (no reader of either kind
/// finds it), though chunk files of it may be left.
/// The hierarchy can also be listed without the consolidated metadata.
/// True when the removal is complete (no file of `B` left).
fn check_rm_state(dir: &Path, untouched: &Files, root: &[u8]) -> bool {
    let store = local_read(dir);
    let members = consolidated_members(&store);
    let after = members == RM_AFTER;
    assert!(after || members == RM_BEFORE, "{members:?}");
    if !after {
        assert!(std::fs::read(dir.join("zarr.json")).unwrap() == root);
    }
    assert!(
        files_besides_b(dir) == *untouched,
        "a file besides B's changed"
    );
    for path in ["A", "C", "g/D"] {
        assert_eq!(read_i32(store.clone(), path), a_values(), "{path}");
    }
    // Wherever `B` still opens it is whole: chunks go only after its
    // `zarr.json`.
    if store.exists("B/zarr.json").unwrap() {
        let got = read_i32(store.clone(), "B");
        same_values("B", &got, &b_values(), false);
    } else {
        assert!(after, "B is listed but does not open");
    }
    let listed = zarr::group::Group::open(store, "", None, zarr::group::UseConsolidated::Never)
        .unwrap()
        .members(None)
        .unwrap();
    assert!(listed.len() >= RM_AFTER.len());
    after && !dir.join("B").exists()
}

/// `zarr rm --path B` in a consolidated hierarchy, killed at each of
/// [`KILL_AFTER_MS`]:
///
/// * in a folder store, the state after the kill is one
///   [`check_rm_state`] allows (before the removal, `B` whole; or after
///   it, `B` unlisted, and whole or without `zarr.json`); running `rm` again
///   completes the removal (deleting what is left of `B`'s folder, or,
///   when the killed run had completed it, saying that `B` is not there):
///   no key of `B` left, the consolidated metadata names the others only;
/// * in a zip archive (deletes are unsupported: `rm` fails before
///   changing anything), the archive is byte for byte as it was whether
///   killed or failed, and the next writer adds to it.
///
/// zarr-python reads the states after the kills and after completion
/// (arrays by path; members through the consolidated metadata).
#[test]
fn killed_removals_leave_the_hierarchy_before_or_after() {
    let t0 = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a_npy = d.join("a.npy");
    write_input(&a_npy, A_SIDE, &a_values());
    let template = d.join("rm.zarr");
    write_rm_hierarchy(&template, s(&a_npy));
    assert_eq!(consolidated_members(&local_read(&template)), RM_BEFORE);
    assert_eq!(read_i32(local_read(&template), "B"), b_values());
    let untouched = files_besides_b(&template);
    let root = std::fs::read(template.join("zarr.json")).unwrap();
    let others = serde_json::json!({"A": "A", "C": "A", "g/D": "A"});
    let mut py = PyChecks::default();
    let mut killed = 0;

    // 1. A folder store.
    for (i, ms) in KILL_AFTER_MS.into_iter().enumerate() {
        let store = d.join(format!("rm-{i}.zarr"));
        clone_tree(&template, &store);
        let end = stop_after(spawn(&["rm", s(&store), "--path", "B"]), ms);
        if let End::Failed(err) = &end {
            panic!("rm failed after {ms} ms: {err}");
        }
        let complete = check_rm_state(&store, &untouched, &root);
        assert!(complete || end == End::Killed, "{end:?}");
        py.add(
            PySpec::new(&store)
                .with("exact", others.clone())
                .with("partial_if_present", serde_json::json!({"B": "B"}))
                .with("members", serde_json::json!([RM_BEFORE, RM_AFTER])),
        );
        if end == End::Succeeded {
            continue;
        }
        killed += 1;
        let again = d.join(format!("rm-{i}-again.zarr"));
        clone_tree(&store, &again);
        if complete {
            let err = common::fails(&["rm", s(&again), "--path", "B"]);
            assert!(err.contains('B'), "{err}");
        } else {
            ok(&["rm", s(&again), "--path", "B"]);
        }
        assert!(check_rm_state(&again, &untouched, &root));
        py.add(
            PySpec::new(&again)
                .with("exact", others.clone())
                .with("absent", serde_json::json!(["B"]))
                .with("members", serde_json::json!([RM_AFTER])),
        );
    }
    eprintln!("killed removals: {killed}");
    assert!(
        killed >= 3,
        "the removal is too fast to be killed: {killed}"
    );

    // 2. A zip archive.
    let zip = d.join("rm.zip");
    let b_npy = d.join("b.npy");
    write_input(&b_npy, B_SIDE, &b_values());
    for path in ["A", "C", "g/D"] {
        ok(&["import", s(&a_npy), s(&zip), "--path", path]);
    }
    ok(&["import", s(&b_npy), s(&zip), "--path", "B"]);
    ok(&["consolidate", s(&zip)]);
    let before = std::fs::read(&zip).unwrap();
    for ms in KILL_AFTER_MS {
        let end = stop_after(spawn(&["rm", s(&zip), "--path", "B"]), ms);
        match &end {
            End::Succeeded => panic!("removed B from a zip archive"),
            End::Failed(err) => assert!(err.contains("does not support delete"), "{err}"),
            End::Killed => {}
        }
        assert!(
            std::fs::read(&zip).unwrap() == before,
            "the archive changed ({end:?} after {ms} ms)"
        );
        let store = zip_read(&zip);
        assert_eq!(consolidated_members(&store), RM_BEFORE);
        assert_eq!(read_i32(store.clone(), "B"), b_values());
        for path in ["A", "C", "g/D"] {
            assert_eq!(read_i32(store.clone(), path), a_values(), "{path}");
        }
    }
    let all = serde_json::json!({"A": "A", "B": "B", "C": "A", "g/D": "A"});
    let snapshot = d.join("rm-killed.zip");
    std::fs::copy(&zip, &snapshot).unwrap();
    py.add(
        PySpec::new(&snapshot)
            .with("exact", all.clone())
            .with("members", serde_json::json!([RM_BEFORE])),
    );
    ok(&["import", s(&a_npy), s(&zip), "--path", "E"]);
    assert_eq!(reserved_of(d, "rm.zip"), Vec::<String>::new());
    let store = zip_read(&zip);
    assert_eq!(read_i32(store.clone(), "E"), a_values());
    assert_eq!(read_i32(store, "B"), b_values());
    py.add(PySpec::new(&zip).with("exact", all));

    py.run();
    eprintln!("rm crash test: {:.1} s", t0.elapsed().as_secs_f64());
}

/// A conversion in place killed between deleting a node's `.zarray` (or
/// `.zgroup`) and its other V2 documents leaves a V3 node with a stray
/// `.zattrs` (and, at the root, `.zmetadata`): running `zarr convert S S`
/// again deletes them and keeps the attributes. (It used to skip such an
/// array, leaving its `.zattrs` for good, and to fail at such a root: "no
/// array or group".)
#[test]
fn converting_in_place_again_removes_documents_a_kill_left() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a_npy = d.join("a.npy");
    write_input(&a_npy, A_SIDE, &a_values());
    let v2 = d.join("v2.zarr");
    let attrs = serde_json::json!({"title": "t"})
        .as_object()
        .unwrap()
        .clone();
    zarr::group::Group::create(common::local(&v2), "", 2, attrs.clone(), false).unwrap();
    let args = [
        "--path",
        "A",
        "--zarr-format",
        "2",
        "--attrs",
        r#"{"x": 1}"#,
    ];
    ok(&[&["import", s(&a_npy), s(&v2)][..], &args].concat());
    ok(&["consolidate", s(&v2)]);
    let docs: Vec<(&str, Vec<u8>)> = [".zgroup", ".zattrs", ".zmetadata", "A/.zattrs"]
        .into_iter()
        .map(|k| (k, std::fs::read(v2.join(k)).unwrap()))
        .collect();
    let put_back = |keys: &[&str]| {
        for (k, bytes) in docs.iter().filter(|(k, _)| keys.contains(k)) {
            std::fs::write(v2.join(k), bytes).unwrap();
        }
    };
    let check = || {
        assert_no_v2_documents(&v2);
        let store = local_read(&v2);
        let root = zarr::group::Group::open(
            store.clone(),
            "",
            Some(3),
            zarr::group::UseConsolidated::Never,
        )
        .unwrap();
        assert_eq!(root.attributes(), &attrs);
        let a = Array::open(store.clone(), "A").unwrap();
        assert_eq!(a.zarr_format(), 3);
        assert_eq!(a.attributes()["x"], 1);
        assert_eq!(read_i32(store, "A"), a_values());
    };
    ok(&["convert", s(&v2), s(&v2), "--remove-v2"]);
    check();
    // Killed between deleting `A/.zarray` and `A/.zattrs` (the root, a V2
    // group still, has its `zarr.json` already: `--overwrite` resumes).
    put_back(&[".zgroup", ".zattrs", ".zmetadata", "A/.zattrs"]);
    ok(&["convert", s(&v2), s(&v2), "--remove-v2", "--overwrite"]);
    check();
    // Killed between deleting the root's `.zgroup` and its other documents.
    put_back(&[".zattrs", ".zmetadata"]);
    ok(&["convert", s(&v2), s(&v2), "--remove-v2"]);
    check();
}
