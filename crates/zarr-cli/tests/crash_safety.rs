//! Crash safety of `zarr import` and `zarr copy`: the process is killed
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

#![cfg(unix)]
#![allow(clippy::unwrap_used)]

mod common;

use common::{ok, python, s, text};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use zarr::array::Array;
use zarr::buffer::{NDBuffer, NDData, Order};
use zarr::chunk::Selection;
use zarr::dtype::DataType;
use zarr::store::{LocalStore, StoreRef, ZipMode, ZipStore};

/// When each writer is killed, after it starts.
const KILL_AFTER_MS: [u64; 5] = [5, 20, 50, 100, 200];
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

/// Start `zarr ARGS` in the background.
fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_zarr"))
        .args(args)
        .env_remove("ZARR_CLI_PROGRESS")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Let `child` run for `ms` milliseconds, then SIGKILL it. True when it
/// had already finished (successfully: anything else fails the test).
fn kill_after(mut child: Child, ms: u64) -> bool {
    let deadline = Instant::now() + Duration::from_millis(ms);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            assert!(
                status.success(),
                "finished early and failed: {}",
                text(&out.stderr)
            );
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    if status.success() {
        // It finished between the last check and the kill.
        return true;
    }
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(9), "{status:?}");
    false
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
