//! Streaming `zarr import` and `zarr export`: a 1 GiB array goes in and out
//! with the tool's peak memory far below the array's size (issue 14,
//! item 1), the result is byte for byte what a whole-array (one slab)
//! import writes, the export is byte for byte the input `.npy`, and
//! zarr-python 3.4.2 reads the imported array exactly.
//!
//! Each `zarr` run is a child process; its peak resident memory is the
//! children's `ru_maxrss` (Linux: KiB), the largest of the children so
//! far, so every streaming run is measured before any run that may use
//! more. It runs only in release builds (`cargo test --release -p zarr-cli
//! --test streaming`, as scripts/test.sh does): in debug builds it prints a
//! note and passes. `ZARR_STREAM_TEST_MIB` sets the size in MiB (a multiple
//! of 64; default 1024).
#![allow(clippy::unwrap_used)]

mod common;

use common::{ok, python, s, text};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use zarr::buffer::NDBuffer;
use zarr::dtype::DataType;

const MIB: u64 = 1 << 20;
/// The peak resident memory every streaming run must stay below.
const BOUND: u64 = 300 * MIB;

/// The largest peak resident memory of the children that have ended.
#[cfg(target_os = "linux")]
fn children_peak() -> u64 {
    // SAFETY: getrusage fills the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut u) };
    assert_eq!(rc, 0);
    u.ru_maxrss as u64 * 1024
}

#[cfg(not(target_os = "linux"))]
fn children_peak() -> u64 {
    0
}

/// The value at C-order index `i` (x + y^2/32 + z^3 mod 2^16 style: not
/// constant, compressible).
fn value(i: u64, shape: &[u64]) -> u16 {
    let z = i % shape[2];
    let y = (i / shape[2]) % shape[1];
    let x = i / (shape[1] * shape[2]);
    (x + y * y / 32 + z * z * z) as u16
}

/// Write the `.npy` slab by slab (never the whole array in this process).
fn write_input(path: &Path, shape: &[u64]) {
    let mut w = zarr::npy::NpyWriter::create(path, DataType::UInt16, shape, 0).unwrap();
    let row: u64 = shape[1] * shape[2];
    for x in 0..shape[0] {
        let vals: Vec<u16> = (x * row..(x + 1) * row).map(|i| value(i, shape)).collect();
        let b = NDBuffer::from_vec(&[1, shape[1] as usize, shape[2] as usize], vals).unwrap();
        w.write_box(&[x, 0, 0], &b).unwrap();
    }
    w.finish().unwrap();
}

/// True when two files hold the same bytes (read in pieces).
fn same_file(a: &Path, b: &Path) -> bool {
    let (mut fa, mut fb) = (
        std::fs::File::open(a).unwrap(),
        std::fs::File::open(b).unwrap(),
    );
    if fa.metadata().unwrap().len() != fb.metadata().unwrap().len() {
        return false;
    }
    let (mut ba, mut bb) = (vec![0u8; 8 << 20], vec![0u8; 8 << 20]);
    loop {
        let n = fa.read(&mut ba).unwrap();
        if n == 0 {
            return true;
        }
        fb.read_exact(&mut bb[..n]).unwrap();
        if ba[..n] != bb[..n] {
            return false;
        }
    }
}

/// Every file under `a` equals the one at the same place under `b`, and
/// both hold the same names.
fn same_tree(a: &Path, b: &Path) {
    fn files(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                files(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let (mut fa, mut fb) = (Vec::new(), Vec::new());
    files(a, a, &mut fa);
    files(b, b, &mut fb);
    fa.sort();
    fb.sort();
    assert_eq!(fa, fb);
    for f in &fa {
        assert!(same_file(&a.join(f), &b.join(f)), "{f} differs");
    }
}

#[test]
fn import_and_export_stream_in_bounded_memory() {
    if cfg!(debug_assertions) {
        eprintln!("note: the streaming memory test runs in release builds only (cargo test --release -p zarr-cli --test streaming)");
        return;
    }
    let mib: u64 = std::env::var("ZARR_STREAM_TEST_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    assert!(
        mib >= 64 && mib.is_multiple_of(64),
        "ZARR_STREAM_TEST_MIB: a multiple of 64"
    );
    let shape = [mib / 2, 1024, 1024];
    let dir = tempfile::tempdir().unwrap();
    let npy = dir.path().join("in.npy");
    write_input(&npy, &shape);
    let size = std::fs::metadata(&npy).unwrap().len();
    assert!(size >= mib * MIB);
    let store = dir.path().join("s.zarr");

    // 1. Import from the file, chunked and sharded.
    let chunked = ["--chunks", "32,256,256"];
    let sharded = ["--shards", "32,512,512", "--chunks", "16,128,128"];
    ok(&[
        &["import", s(&npy), s(&store), "--path", "chunked"][..],
        &chunked,
    ]
    .concat());
    ok(&[
        &["import", s(&npy), s(&store), "--path", "sharded"][..],
        &sharded,
    ]
    .concat());
    let peak = children_peak();
    eprintln!("import peak RSS: {} MiB for {} MiB", peak / MIB, size / MIB);
    assert!(peak < BOUND, "import peaked at {peak} bytes");

    // 2. Import from standard input.
    let mut child = Command::new(env!("CARGO_BIN_EXE_zarr"))
        .args(["import", "-", s(&store), "--path", "stdin"])
        .args(chunked)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut stdin = child.stdin.take().unwrap();
        let mut f = std::fs::File::open(&npy).unwrap();
        let mut buf = vec![0u8; 4 << 20];
        loop {
            let n = f.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            stdin.write_all(&buf[..n]).unwrap();
        }
    }
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let peak = children_peak();
    assert!(peak < BOUND, "import from stdin peaked at {peak} bytes");

    // 3. Export, to a file and to standard output.
    let out = dir.path().join("out.npy");
    for path in ["chunked", "sharded"] {
        ok(&["export", s(&store), "--path", path, "-o", s(&out)]);
        assert!(
            same_file(&npy, &out),
            "{path}: the export differs from the input"
        );
    }
    let piped = dir.path().join("piped.npy");
    let o = Command::new(env!("CARGO_BIN_EXE_zarr"))
        .args(["export", s(&store), "--path", "stdin", "-o", "-"])
        .stdout(std::fs::File::create(&piped).unwrap())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(same_file(&npy, &piped), "the export to stdout differs");
    let peak = children_peak();
    eprintln!("import and export peak RSS: {} MiB", peak / MIB);
    assert!(peak < BOUND, "export peaked at {peak} bytes");

    // 4. Byte for byte what one whole-array slab writes (not bounded).
    let whole = dir.path().join("whole.zarr");
    let env = [("ZARR_CLI_SLAB_BYTES", "18446744073709551615")];
    for (path, opts) in [("chunked", &chunked[..]), ("sharded", &sharded[..])] {
        common::ok_env(
            &[&["import", s(&npy), s(&whole), "--path", path][..], opts].concat(),
            &env,
        );
        same_tree(&store.join(path), &whole.join(path));
    }
    same_tree(&store.join("stdin"), &whole.join("chunked"));

    // 5. zarr-python reads the imported arrays exactly (slab by slab).
    let script = r#"
import sys, numpy as np, zarr
store, npy = sys.argv[1], sys.argv[2]
ref = np.load(npy, mmap_mode="r")
for name in ["chunked", "sharded", "stdin"]:
    a = zarr.open_array(store, path=name, mode="r")
    assert a.shape == ref.shape and a.dtype == ref.dtype, (name, a.shape, a.dtype)
    for x in range(0, ref.shape[0], 64):
        assert np.array_equal(a[x:x + 64], ref[x:x + 64]), (name, x)
print("ok")
"#;
    let o = Command::new(python())
        .args(["-c", script, s(&store), s(&npy)])
        .output()
        .unwrap();
    assert!(
        o.status.success() && text(&o.stdout).trim() == "ok",
        "{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
}
