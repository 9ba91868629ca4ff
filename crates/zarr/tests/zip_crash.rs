//! Crash safety of `ZipStore` writes (copy on write, the single-writer
//! lock, stray temporary files), recovery of archives without a central
//! directory, and bounded inflation of deflated entries.
//!
//! A writer that dies without running any code is simulated with
//! `std::mem::forget` (no `Drop`, no commit); `crates/zarr-cli/tests/
//! crash_safety.rs` kills real processes with SIGKILL.

#![allow(clippy::unwrap_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use zarr::buffer::BufferPrototype;
use zarr::store::{is_temp_name, Store, StoreError, ZipMode, ZipStore};

/// The global allocator, recording the largest single allocation made on
/// each thread (so a test can check that reading an entry allocated no more
/// than it should, whatever other tests do meanwhile).
struct Tracking;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
}

// SAFETY: every call is forwarded to the system allocator unchanged.
unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Tracking = Tracking;

/// Run `f`; the largest single allocation it made on this thread.
fn largest_allocation<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST.with(|l| l.set(0));
    let r = f();
    (r, LARGEST.with(|l| l.get()))
}

fn proto() -> BufferPrototype {
    BufferPrototype::default()
}

fn get(s: &ZipStore, k: &str) -> Option<Vec<u8>> {
    s.get(k, &proto(), None).unwrap().map(|b| b.to_vec())
}

fn snapshot(s: &ZipStore) -> BTreeMap<String, Vec<u8>> {
    s.list()
        .unwrap()
        .into_iter()
        .map(|k| {
            let v = get(s, &k).unwrap();
            (k, v)
        })
        .collect()
}

/// The names of the reserved (temporary and lock) files in `dir`.
fn reserved_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| is_temp_name(n))
        .collect();
    v.sort();
    v
}

/// An archive at `dir/data.zip` with `n` entries `k/{i}`; returns its path
/// and contents.
fn archive(dir: &Path, n: usize) -> (PathBuf, BTreeMap<String, Vec<u8>>) {
    let path = dir.join("data.zip");
    let s = ZipStore::open(&path, ZipMode::Write).unwrap();
    let mut want = BTreeMap::new();
    for i in 0..n {
        let v: Vec<u8> = (0..(10 + 7 * i)).map(|j| (i * 31 + j) as u8).collect();
        s.set(&format!("k/{i}"), v.clone().into()).unwrap();
        want.insert(format!("k/{i}"), v);
    }
    s.close().unwrap();
    (path, want)
}

#[test]
fn a_dead_appender_leaves_the_archive_byte_for_byte_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let (path, want) = archive(dir.path(), 5);
    let before = std::fs::read(&path).unwrap();
    let s = ZipStore::open(&path, ZipMode::Append).unwrap();
    s.set("new", b"added".to_vec().into()).unwrap();
    s.set("k/0", b"replaced".to_vec().into()).unwrap();
    assert_eq!(get(&s, "k/0").unwrap(), b"replaced");
    assert_eq!(get(&s, "k/3").unwrap(), want["k/3"]);
    // Nothing reaches the archive until a commit.
    assert_eq!(std::fs::read(&path).unwrap(), before);
    std::mem::forget(s);
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let r = ZipStore::open(&path, ZipMode::Read).unwrap();
    assert_eq!(r.recovered(), None);
    assert_eq!(snapshot(&r), want);
    // The dead writer left its temporary file and its lock file.
    let left = reserved_files(dir.path());
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left
        .iter()
        .any(|n| n.starts_with(".data.zip.") && n.ends_with(".zarr-tmp")));
    assert!(left.contains(&".data.zip.zarr-lock".to_string()));
}

#[test]
fn writes_after_a_flush_do_not_touch_the_committed_archive() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut want) = archive(dir.path(), 3);
    let s = ZipStore::open(&path, ZipMode::Append).unwrap();
    s.set("a", b"1".to_vec().into()).unwrap();
    s.flush().unwrap();
    want.insert("a".into(), b"1".to_vec());
    let committed = std::fs::read(&path).unwrap();
    assert_eq!(
        snapshot(&ZipStore::open(&path, ZipMode::Read).unwrap()),
        want
    );
    // More writes go to a new temporary copy; reads still see everything.
    s.set("b", b"2".to_vec().into()).unwrap();
    s.set("a", b"3".to_vec().into()).unwrap();
    assert_eq!(get(&s, "a").unwrap(), b"3");
    assert_eq!(get(&s, "k/1").unwrap(), want["k/1"]);
    assert_eq!(std::fs::read(&path).unwrap(), committed);
    std::mem::forget(s);
    assert_eq!(std::fs::read(&path).unwrap(), committed);
    assert_eq!(
        snapshot(&ZipStore::open(&path, ZipMode::Read).unwrap()),
        want
    );
}

#[test]
fn a_dead_writer_of_a_new_archive_leaves_no_archive() {
    let dir = tempfile::tempdir().unwrap();
    for mode in [ZipMode::Write, ZipMode::Append] {
        let path = dir.path().join(format!("{mode:?}.zip"));
        let s = ZipStore::open(&path, mode).unwrap();
        s.set("zarr.json", b"{}".to_vec().into()).unwrap();
        std::mem::forget(s);
        assert!(!path.exists(), "{mode:?}");
        assert!(ZipStore::open(&path, ZipMode::Read).is_err());
    }
    // Write mode over an existing archive: the old one stays until commit.
    let (path, want) = archive(dir.path(), 2);
    let s = ZipStore::open(&path, ZipMode::Write).unwrap();
    s.set("other", b"x".to_vec().into()).unwrap();
    std::mem::forget(s);
    assert_eq!(
        snapshot(&ZipStore::open(&path, ZipMode::Read).unwrap()),
        want
    );
}

#[test]
fn close_commits_and_leaves_no_reserved_files() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut want) = archive(dir.path(), 2);
    assert_eq!(reserved_files(dir.path()), Vec::<String>::new());
    let s = ZipStore::open(&path, ZipMode::Append).unwrap();
    s.set("c", b"3".to_vec().into()).unwrap();
    s.close().unwrap();
    want.insert("c".into(), b"3".to_vec());
    assert_eq!(
        snapshot(&ZipStore::open(&path, ZipMode::Read).unwrap()),
        want
    );
    assert_eq!(reserved_files(dir.path()), Vec::<String>::new());
    // Drop commits too.
    {
        let s = ZipStore::open(&path, ZipMode::Append).unwrap();
        s.set("d", b"4".to_vec().into()).unwrap();
    }
    want.insert("d".into(), b"4".to_vec());
    assert_eq!(
        snapshot(&ZipStore::open(&path, ZipMode::Read).unwrap()),
        want
    );
    assert_eq!(reserved_files(dir.path()), Vec::<String>::new());
}

#[cfg(unix)]
#[test]
fn the_archive_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = archive(dir.path(), 1);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let s = ZipStore::open(&path, ZipMode::Append).unwrap();
    s.set("x", b"1".to_vec().into()).unwrap();
    s.close().unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
}

#[cfg(target_os = "linux")]
#[test]
fn stray_temporary_files_of_dead_writers_are_removed_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let (path, want) = archive(dir.path(), 2);
    // A process id that is certainly gone: a child that has exited.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    assert!(!Path::new(&format!("/proc/{dead}")).exists());
    let me = std::process::id();
    let files = [
        format!(".data.zip.{dead}.7.zarr-tmp"), // dead writer: removed
        format!(".data.zip.{me}.999.zarr-tmp"), // alive (us): kept
        format!(".other.zip.{dead}.1.zarr-tmp"), // another archive: kept
        format!(".data.zip.x{dead}.1.zarr-tmp"), // not of the form: kept
        format!(".data.zip.zip.{dead}.1.zarr-tmp"), // data.zip.zip's: kept
    ];
    for f in &files {
        std::fs::write(dir.path().join(f), b"partial").unwrap();
    }
    // Reading removes nothing.
    ZipStore::open(&path, ZipMode::Read).unwrap();
    assert!(dir.path().join(&files[0]).exists());
    let s = ZipStore::open(&path, ZipMode::Append).unwrap();
    assert!(!dir.path().join(&files[0]).exists());
    for f in &files[1..] {
        assert!(dir.path().join(f).exists(), "{f}");
    }
    assert_eq!(snapshot(&s), want);
    s.close().unwrap();
}

#[test]
fn a_second_writer_is_refused_while_the_first_holds_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut want) = archive(dir.path(), 2);
    let first = ZipStore::open(&path, ZipMode::Append).unwrap();
    first.set("first", b"1".to_vec().into()).unwrap();
    for mode in [ZipMode::Append, ZipMode::Write] {
        let e = ZipStore::open(&path, mode).unwrap_err();
        assert!(matches!(e, StoreError::Locked { .. }), "{e:?}");
        let msg = e.to_string();
        assert!(
            msg.contains(&path.display().to_string()) && msg.contains("another writer"),
            "{msg}"
        );
    }
    // Readers are never blocked (they see the last commit).
    assert_eq!(
        snapshot(&ZipStore::open(&path, ZipMode::Read).unwrap()),
        want
    );
    first.close().unwrap();
    want.insert("first".into(), b"1".to_vec());
    // Once closed, the next writer gets the lock and sees the additions.
    let second = ZipStore::open(&path, ZipMode::Append).unwrap();
    assert_eq!(snapshot(&second), want);
    second.close().unwrap();
}

/// Where each entry of an archive made by [`archive`] ends (entry `i`'s
/// local header is 30 bytes plus its name, plus 20 with zip64 fields).
fn entry_ends(want: &BTreeMap<String, Vec<u8>>, n: usize, zip64: bool) -> Vec<u64> {
    let mut ends = Vec::new();
    let mut pos = 0u64;
    for i in 0..n {
        let k = format!("k/{i}");
        pos += 30 + k.len() as u64 + if zip64 { 20 } else { 0 } + want[&k].len() as u64;
        ends.push(pos);
    }
    ends
}

#[test]
fn truncated_archives_recover_the_complete_entries_before_the_cut() {
    let dir = tempfile::tempdir().unwrap();
    const N: usize = 6;
    for zip64 in [false, true] {
        let path = dir.path().join("data.zip");
        let s = ZipStore::open(&path, ZipMode::Write).unwrap();
        let s = if zip64 { s.with_zip64_threshold(0) } else { s };
        let mut want = BTreeMap::new();
        for i in 0..N {
            let v: Vec<u8> = (0..(10 + 7 * i)).map(|j| (i * 31 + j) as u8).collect();
            s.set(&format!("k/{i}"), v.clone().into()).unwrap();
            want.insert(format!("k/{i}"), v);
        }
        s.close().unwrap();
        let good = std::fs::read(&path).unwrap();
        let ends = entry_ends(&want, N, zip64);
        let cut_path = dir.path().join("cut.zip");
        // Every cut short of the end record.
        for cut in 0..good.len() - 22 {
            std::fs::write(&cut_path, &good[..cut]).unwrap();
            let complete = ends.iter().filter(|&&e| e <= cut as u64).count();
            let opened = ZipStore::open(&cut_path, ZipMode::Read);
            if complete == 0 {
                let e = opened.unwrap_err();
                assert!(e.to_string().contains("not a valid zip archive"), "{e}");
                continue;
            }
            let r = opened.unwrap();
            assert_eq!(r.recovered(), Some(complete), "cut {cut} zip64 {zip64}");
            let expect: BTreeMap<_, _> = (0..complete)
                .map(|i| (format!("k/{i}"), want[&format!("k/{i}")].clone()))
                .collect();
            assert_eq!(snapshot(&r), expect, "cut {cut} zip64 {zip64}");
        }
        // Appending to a cut archive commits the recovered entries and a new
        // central directory: then it reads normally.
        let cut = (ends[2] + 5) as usize;
        std::fs::write(&cut_path, &good[..cut]).unwrap();
        let a = ZipStore::open(&cut_path, ZipMode::Append).unwrap();
        assert_eq!(a.recovered(), Some(3));
        a.set("after", b"cut".to_vec().into()).unwrap();
        a.close().unwrap();
        let r = ZipStore::open(&cut_path, ZipMode::Read).unwrap();
        assert_eq!(r.recovered(), None);
        let mut expect: BTreeMap<_, _> = (0..3)
            .map(|i| (format!("k/{i}"), want[&format!("k/{i}")].clone()))
            .collect();
        expect.insert("after".into(), b"cut".to_vec());
        assert_eq!(snapshot(&r), expect);
        // A whole archive is read from its central directory.
        assert_eq!(
            ZipStore::open(&path, ZipMode::Read).unwrap().recovered(),
            None
        );
    }
}

#[test]
fn recovery_stops_at_an_inconsistent_header() {
    let dir = tempfile::tempdir().unwrap();
    let (path, want) = archive(dir.path(), 4);
    let mut bytes = std::fs::read(&path).unwrap();
    let ends = entry_ends(&want, 4, false);
    // Cut the end record off, and make entry 2 a stored entry whose sizes
    // differ: entries 0 and 1 are recovered, nothing after.
    bytes.truncate(bytes.len() - 22);
    let h = ends[1] as usize;
    bytes[h + 18] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let r = ZipStore::open(&path, ZipMode::Read).unwrap();
    assert_eq!(r.recovered(), Some(2));
    assert_eq!(r.list().unwrap(), ["k/0", "k/1"]);
    // The data-descriptor flag (sizes after the data) also ends the scan.
    bytes[h + 18] ^= 1;
    bytes[h + 6] |= 0x08;
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(
        ZipStore::open(&path, ZipMode::Read).unwrap().recovered(),
        Some(2)
    );
    // A file that is no zip at all stays an error, in every mode, and is
    // not replaced by an append.
    std::fs::write(&path, b"PK\x03\x04 but then nothing that fits").unwrap();
    assert!(ZipStore::open(&path, ZipMode::Read).is_err());
    assert!(ZipStore::open(&path, ZipMode::Append).is_err());
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"PK\x03\x04 but then nothing that fits"
    );
}

/// A one-entry archive holding `raw` as a deflated entry `key` that
/// declares `size` bytes (and the CRC-32 `crc`).
fn deflated_archive(path: &Path, key: &str, raw: &[u8], size: u32, crc: u32) {
    let name = key.as_bytes();
    let mut out = Vec::new();
    out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    out.extend_from_slice(&20u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // flags
    out.extend_from_slice(&8u16.to_le_bytes()); // deflate
    out.extend_from_slice(&[0; 4]); // time, date
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&(raw.len() as u32).to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(name);
    out.extend_from_slice(raw);
    let cd_start = out.len() as u32;
    out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    out.extend_from_slice(&((3u16 << 8) | 20).to_le_bytes());
    out.extend_from_slice(&20u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&8u16.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&(raw.len() as u32).to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
    out.extend_from_slice(&[0; 8]); // extra, comment, disk, internal
    out.extend_from_slice(&(0o100644u32 << 16).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes()); // header offset
    out.extend_from_slice(name);
    let cd_size = out.len() as u32 - cd_start;
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_start.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    std::fs::write(path, out).unwrap();
}

fn deflate(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn crc(data: &[u8]) -> u32 {
    let mut c = flate2::Crc::new();
    c.update(data);
    c.sum()
}

#[test]
fn deflated_entries_with_lying_sizes_are_refused_without_a_large_allocation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.zip");
    // 16 MiB of zeros deflate to about 16 KiB.
    let zeros = vec![0u8; 16 << 20];
    let raw = deflate(&zeros);
    let zeros_crc = crc(&zeros);
    drop(zeros);
    assert!(raw.len() < 64 << 10, "{}", raw.len());

    // Declares 4 KiB: inflating stops one byte past that.
    deflated_archive(&path, "c/0", &raw, 4096, zeros_crc);
    let s = ZipStore::open(&path, ZipMode::Read).unwrap();
    let (r, largest) = largest_allocation(|| s.get("c/0", &proto(), None));
    let e = r.unwrap_err().to_string();
    assert!(e.contains("c/0") && e.contains("more than"), "{e}");
    assert!(largest < 1 << 20, "largest allocation {largest}");

    // Declares nearly 4 GiB, far more than 16 KiB can inflate to: refused
    // before anything is inflated or allocated.
    deflated_archive(&path, "c/1", &raw, u32::MAX - 1, zeros_crc);
    let s = ZipStore::open(&path, ZipMode::Read).unwrap();
    let (r, largest) = largest_allocation(|| s.get("c/1", &proto(), None));
    let e = r.unwrap_err().to_string();
    assert!(e.contains("c/1") && e.contains("cannot inflate"), "{e}");
    assert!(largest < 1 << 20, "largest allocation {largest}");

    // The true size, but above a configured limit: refused, naming the key.
    deflated_archive(&path, "c/2", &raw, 16 << 20, zeros_crc);
    let s = ZipStore::open(&path, ZipMode::Read)
        .unwrap()
        .with_max_inflated_size(1 << 20);
    assert_eq!(s.max_inflated_size(), 1 << 20);
    let (r, largest) = largest_allocation(|| s.get("c/2", &proto(), None));
    let e = r.unwrap_err().to_string();
    assert!(
        e.contains("c/2") && e.contains("with_max_inflated_size"),
        "{e}"
    );
    assert!(largest < 1 << 20, "largest allocation {largest}");
    // Under the default limit it reads, and range reads work too.
    let s = ZipStore::open(&path, ZipMode::Read).unwrap();
    assert_eq!(
        zarr::store::DEFAULT_MAX_INFLATED_SIZE,
        s.max_inflated_size()
    );
    let v = s.get("c/2", &proto(), None).unwrap().unwrap();
    assert_eq!(v.len(), 16 << 20);
    assert!(v.iter().all(|&b| b == 0));

    // Declares more than it holds: "less than", and a wrong CRC-32 is an
    // error too.
    let small = deflate(b"hello hello hello");
    deflated_archive(&path, "d", &small, 40, crc(b"hello hello hello"));
    let s = ZipStore::open(&path, ZipMode::Read).unwrap();
    let e = s.get("d", &proto(), None).unwrap_err().to_string();
    assert!(e.contains("less than"), "{e}");
    deflated_archive(&path, "d", &small, 17, 12345);
    let s = ZipStore::open(&path, ZipMode::Read).unwrap();
    let e = s.get("d", &proto(), None).unwrap_err().to_string();
    assert!(e.contains("CRC-32"), "{e}");
    deflated_archive(&path, "d", &small, 17, crc(b"hello hello hello"));
    let s = ZipStore::open(&path, ZipMode::Read).unwrap();
    assert_eq!(get(&s, "d").unwrap(), b"hello hello hello");
}
