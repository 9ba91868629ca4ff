//! [`ZipStore`]: a zip archive as a store, read, written and appended to
//! without a zip library (the format is small: local headers, a central
//! directory, an end record, and zip64 records for big archives).

use super::local::{lock_file_current, lock_name, temp_name};
use super::{
    dir_prefix, validate_key, validate_prefix, validate_value_key, ByteRequest, Store, StoreError,
};
use crate::buffer::{Buffer, BufferPrototype};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, ErrorKind, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

const LOCAL_SIG: u32 = 0x0403_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const EOCD_SIG: u32 = 0x0605_4b50;
const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
const ZIP64_EXTRA_ID: u16 = 0x0001;
const LOCAL_LEN: u64 = 30;
const CENTRAL_LEN: usize = 46;
const EOCD_LEN: u64 = 22;
const ZIP64_EOCD_LEN: u64 = 56;
const ZIP64_LOCATOR_LEN: u64 = 20;
/// Flag bit 11: names are UTF-8.
const FLAG_UTF8: u16 = 0x0800;
/// Flag bit 0: the entry is encrypted.
const FLAG_ENCRYPTED: u16 = 0x0001;
/// Flag bit 3: sizes and CRC-32 follow the data (a data descriptor), so
/// the local header may not hold them.
const FLAG_DATA_DESCRIPTOR: u16 = 0x0008;
const METHOD_STORED: u16 = 0;
const METHOD_DEFLATE: u16 = 8;
/// 4.5: zip64; 2.0: plain stored entries.
const VERSION_ZIP64: u16 = 45;
const VERSION_PLAIN: u16 = 20;
/// "Made by" Unix (3), spec version 4.5.
const VERSION_MADE_BY: u16 = (3 << 8) | 45;
/// Unix mode bits in the external attributes: a regular file, rw-r--r--.
const EXTERNAL_FILE: u32 = 0o100644 << 16;
/// A folder (rwxr-xr-x), with the MS-DOS folder bit.
const EXTERNAL_DIR: u32 = (0o40755 << 16) | 0x10;
/// How many times opening a temporary file (name collision) or taking the
/// writer's lock (lock file replaced meanwhile) is tried.
const ATTEMPTS: u32 = 16;
/// Inflating an entry reserves at most this much up front (the output then
/// grows as the data really inflates).
const INFLATE_RESERVE: u64 = 64 << 20;

/// The default [`ZipStore::with_max_inflated_size`]: 4 GiB.
pub const DEFAULT_MAX_INFLATED_SIZE: u64 = 4 << 30;

/// How a [`ZipStore`] opens its archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZipMode {
    /// Read an existing archive; every write is refused. No lock is taken
    /// and nothing is written.
    Read,
    /// Create a new, empty archive. It replaces any file at the path when
    /// it is committed ([`ZipStore::flush`], [`ZipStore::close`]); until
    /// then the old file stays as it was.
    Write,
    /// Open an existing archive (or create one when missing) and add to it.
    /// The archive on disk changes only when the additions are committed.
    Append,
}

/// One readable entry, from the central directory.
#[derive(Clone, Copy, Debug)]
struct Entry {
    /// Where its local header starts.
    header_offset: u64,
    /// Where its data starts, once known (read from the local header).
    data_offset: Option<u64>,
    compressed_size: u64,
    size: u64,
    method: u16,
    flags: u16,
    crc: u32,
}

/// A central directory record to write back on close.
#[derive(Clone, Debug)]
struct Record {
    name: Vec<u8>,
    version_made_by: u16,
    flags: u16,
    method: u16,
    time: u16,
    date: u16,
    crc: u32,
    compressed_size: u64,
    size: u64,
    header_offset: u64,
    external_attr: u32,
}

#[derive(Debug)]
struct State {
    /// The file entries are read from: the archive, or the temporary file
    /// while the writing session has uncommitted entries. `None` for a new
    /// archive before its first write, and once closed.
    file: Option<Arc<File>>,
    /// The temporary file that `file` is, while it holds uncommitted
    /// writes (it becomes the archive when committed).
    temp: Option<PathBuf>,
    /// Closed: every later call fails.
    closed: bool,
    /// The writer's lock (write modes), held until closed.
    lock: Option<WriterLock>,
    /// The entries to read, by key: the last written entry of each name.
    entries: BTreeMap<String, Entry>,
    /// Every central directory record, in archive order (duplicates and
    /// skipped names included, so that appending keeps them).
    records: Vec<Record>,
    /// Where the next local entry goes: the end of the last entry (the
    /// start of the central directory once committed).
    write_pos: u64,
    /// There is something to commit.
    dirty: bool,
    /// Sizes and offsets from this value up are written in zip64 fields
    /// (`u32::MAX`; lower only in tests).
    zip64_threshold: u64,
}

/// A store in a zip archive, as zarr-python's `ZipStore`.
///
/// * **Entries** are written uncompressed (STORED) with their CRC-32, as
///   zarr-python does; entries other tools compressed with deflate are read
///   (range reads then decompress the whole entry). Full reads of stored
///   entries check the CRC-32. A deflated entry is inflated only up to the
///   size it declares, and only when that size is at most
///   [`ZipStore::with_max_inflated_size`] (4 GiB by default): an entry that
///   declares more, or inflates to more or less than it declares, is an
///   error naming its key, never a large allocation.
/// * **Big archives** use zip64 records when an entry, an offset or the
///   central directory passes 4 GiB, or there are more than 65535 entries.
/// * **Names** from the archive are checked with [`validate_key`]: names
///   that could escape a folder if extracted (`..`, absolute paths,
///   backslashes, drive letters) or that are not UTF-8 are skipped (see
///   [`ZipStore::skipped_names`]); folder entries (`name/`) are skipped too.
///   When a name occurs more than once, the last entry wins, as in
///   zarr-python.
/// * **Writes** append a new entry; setting an existing key adds another
///   entry of the same name, which then wins (the old bytes stay in the
///   archive: zip cannot rewrite in place). **Deleting** an existing key
///   (or a folder holding keys) is unsupported ([`StoreError::Unsupported`]);
///   deleting what does not exist succeeds, as in zarr-python. So an array
///   can write chunks that equal the fill value everywhere (they are simply
///   not stored) unless such a chunk was stored before.
/// * **Crash safety (copy on write).** A writer never modifies the archive
///   in place: a writing session ([`ZipMode::Write`], [`ZipMode::Append`])
///   writes into a temporary file beside the archive
///   (`.{name}.{pid}.{n}.zarr-tmp`, in the same folder so it is on the same
///   file system). In append mode the temporary file starts as a copy of
///   the archive's entries (everything before its central directory).
///   [`ZipStore::flush`], [`ZipStore::close`] and, as a last resort, drop
///   *commit*: they write the central directory to the temporary file, sync
///   it, rename it over the archive and sync the folder. So the archive on
///   disk is always a complete one (the last committed), readable by this
///   store, zarr-python and Python's `zipfile`, whatever happens to the
///   writer: a process killed while writing leaves the previous archive
///   untouched (or, for a new archive, no archive at all) plus a stray
///   temporary file. Writes after a commit start a new temporary copy, so
///   they never touch the committed file either. Only `flush` and `close`
///   report errors: call `close()` after writing.
/// * **The cost**: each writing session copies the existing archive's
///   entries once (on its first write, and again on the first write after
///   each `flush`). The copy goes through `copy_file_range` on Linux, which
///   file systems with reflinks (Btrfs, XFS) do without copying data; on
///   others it is a full copy, and the folder needs room for two archives.
/// * **One writer at a time.** Opening to write takes an exclusive
///   operating-system lock (`flock` on Unix) on a lock file
///   `.{name}.zarr-lock` beside the archive, held until `close` (or drop);
///   a second writer, in this process or another, fails at once with
///   [`StoreError::Locked`] naming the archive rather than losing one
///   writer's additions. The OS releases the lock when its holder dies.
///   Opening to write also removes stray temporary files of this archive
///   whose writer process is gone (on Linux, checked with `/proc/{pid}`).
///   Temporary and lock names are reserved ([`is_temp_name`](super::is_temp_name)),
///   so a folder store over the same folder never lists them.
/// * **Recovery.** An archive without a valid end of central directory
///   record (cut short by another tool, say) is read by scanning its local
///   file headers from the start: stored or deflated entries whose sizes
///   are in their local header (zip64 extra fields included) are
///   recovered, up to the first header that is cut short, inconsistent, or
///   has its sizes in a data descriptor. [`ZipStore::recovered`] says
///   whether (and how many entries) this happened; a file where no entry
///   can be recovered is still an error. Appending to a recovered archive
///   commits the recovered entries, a new central directory, and drops the
///   unreadable rest.
/// * **Thread-safe**: one mutex guards the archive's state; data is read
///   with positional reads outside the lock.
///
/// ```
/// use zarr::store::{Store, ZipStore, ZipMode};
/// use zarr::buffer::BufferPrototype;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("data.zip");
/// let store = ZipStore::open(&path, ZipMode::Write).unwrap();
/// store.set("zarr.json", b"{}".to_vec().into()).unwrap();
/// store.close().unwrap();
/// let store = ZipStore::open(&path, ZipMode::Read).unwrap();
/// let v = store.get("zarr.json", &BufferPrototype::default(), None).unwrap().unwrap();
/// assert_eq!(&v[..], b"{}");
/// ```
#[derive(Debug)]
pub struct ZipStore {
    path: PathBuf,
    /// Where commits rename to: `path`, or the file it links to.
    target: PathBuf,
    mode: ZipMode,
    skipped: Vec<String>,
    recovered: Option<usize>,
    max_inflated: u64,
    state: Mutex<State>,
}

/// The writer's lock on an archive: an OS lock on `.{name}.zarr-lock`
/// beside it, released when the file is closed (or its process dies).
#[derive(Debug)]
struct WriterLock {
    /// `None` where the file system has no locks (a warning was logged).
    _file: Option<File>,
    path: PathBuf,
}

impl WriterLock {
    /// Take the lock of the archive at `target`, or fail at once with
    /// [`StoreError::Locked`] when another writer holds it.
    fn acquire(target: &Path, shown: &Path) -> Result<Self, StoreError> {
        let path = parent_dir(target).join(lock_name(&file_name(target)));
        let locked = || StoreError::Locked {
            store: shown.display().to_string(),
            lock: path.clone(),
        };
        for _ in 0..ATTEMPTS {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| io_err("", with_path(&path, e)))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => return Err(locked()),
                Err(fs::TryLockError::Error(e)) if e.kind() == ErrorKind::Unsupported => {
                    tracing::warn!(
                        "{}: the file system has no file locks; writing without the single-writer lock",
                        shown.display()
                    );
                    return Ok(WriterLock { _file: None, path });
                }
                Err(fs::TryLockError::Error(e)) => return Err(io_err("", with_path(&path, e))),
            }
            // The previous holder removes the lock file while it still holds
            // the lock: if that happened meanwhile, this lock guards nothing.
            if lock_file_current(&file, &path) {
                return Ok(WriterLock {
                    _file: Some(file),
                    path,
                });
            }
        }
        Err(locked())
    }
}

impl Drop for WriterLock {
    fn drop(&mut self) {
        // Removed while still locked (a waiter then finds it replaced, see
        // `lock_file_current`); the lock goes with the handle right after.
        #[cfg(unix)]
        if self._file.is_some() {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// The folder holding `path` (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The file name of `path`, lossily decoded.
fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Remove the temporary files of the archive at `target` that belong to
/// writer processes that no longer exist (killed before committing). Only
/// on Linux, where `/proc/{pid}` tells whether a process is alive;
/// failures are ignored (the files are harmless).
#[cfg(target_os = "linux")]
fn remove_stale_temps(target: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let prefix = super::local::temp_name_prefix(&file_name(target));
    let Ok(listing) = fs::read_dir(parent_dir(target)) else {
        return;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    for e in listing.flatten() {
        let name = e.file_name();
        let Some(rest) = name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|r| r.strip_suffix(super::TEMP_SUFFIX))
        else {
            continue;
        };
        let Some((pid, n)) = rest.split_once('.') else {
            continue;
        };
        if !digits(pid) || !digits(n) || Path::new("/proc").join(pid).exists() {
            continue;
        }
        if fs::remove_file(e.path()).is_ok() {
            tracing::info!(
                "removed {}, left by a writer (process {pid}) that is gone",
                e.path().display()
            );
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn remove_stale_temps(_target: &Path) {}

/// Sync a folder, so that a rename in it is durable.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

fn io_err(key: &str, source: io::Error) -> StoreError {
    StoreError::Io {
        key: key.to_string(),
        source,
    }
}

fn corrupt(path: &Path, what: impl std::fmt::Display) -> StoreError {
    io_err(
        "",
        io::Error::new(
            ErrorKind::InvalidData,
            format!("{} is not a valid zip archive: {what}", path.display()),
        ),
    )
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset) {
            Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(unix)]
fn write_all_at(file: &File, buf: &[u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, offset)
}

#[cfg(windows)]
fn write_all_at(file: &File, mut buf: &[u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_write(buf, offset) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => {
                buf = &buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}
fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}
fn u64_at(b: &[u8], i: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(a)
}

/// The current time as an MS-DOS (time, date) pair, in UTC.
fn dos_now() -> (u16, u16) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    if !(1980..=2107).contains(&year) {
        return (0, (1 << 5) | 1);
    }
    let time = ((rem / 3600) << 11) | (((rem % 3600) / 60) << 5) | ((rem % 60) / 2);
    let date = ((year - 1980) << 9) | (month << 5) | day;
    (time as u16, date as u16)
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = flate2::Crc::new();
    c.update(data);
    c.sum()
}

impl ZipStore {
    /// Open the archive at `path` in `mode`.
    ///
    /// The write modes take the archive's writer lock (failing with
    /// [`StoreError::Locked`] when another writer holds it) and remove stray
    /// temporary files of dead writers; see the type's documentation.
    pub fn open(path: impl Into<PathBuf>, mode: ZipMode) -> Result<Self, StoreError> {
        let path = path.into();
        let open_err = |e| io_err("", with_path(&path, e));
        let mut target = path.clone();
        let mut lock = None;
        let (file, parsed) = match mode {
            ZipMode::Read => {
                let file = File::open(&path).map_err(open_err)?;
                let parsed = parse_or_recover(&file, &path)?;
                (Some(file), parsed)
            }
            ZipMode::Write | ZipMode::Append => {
                match fs::symlink_metadata(&path) {
                    // Commits replace the file a link points to, not the link.
                    Ok(m) if m.file_type().is_symlink() => {
                        target = fs::canonicalize(&path).map_err(open_err)?;
                    }
                    _ => {}
                }
                if fs::metadata(&target).is_ok_and(|m| m.is_dir()) {
                    return Err(open_err(io::Error::new(
                        ErrorKind::IsADirectory,
                        "a folder, not a zip archive",
                    )));
                }
                lock = Some(WriterLock::acquire(&target, &path)?);
                remove_stale_temps(&target);
                let existing = match mode {
                    ZipMode::Append => match File::open(&target) {
                        Ok(f) => Some(f),
                        Err(e) if e.kind() == ErrorKind::NotFound => None,
                        Err(e) => return Err(open_err(e)),
                    },
                    _ => None,
                };
                let len = match &existing {
                    Some(f) => f.metadata().map_err(open_err)?.len(),
                    None => 0,
                };
                match existing {
                    Some(f) if len > 0 => {
                        let parsed = parse_or_recover(&f, &path)?;
                        (Some(f), parsed)
                    }
                    // A new archive (an empty file counts as none): written
                    // on close even when empty.
                    _ => (
                        None,
                        Parsed {
                            new: true,
                            ..Parsed::default()
                        },
                    ),
                }
            }
        };
        let dirty = mode == ZipMode::Write || parsed.new;
        Ok(ZipStore {
            path,
            target,
            mode,
            skipped: parsed.skipped,
            recovered: parsed.recovered,
            max_inflated: DEFAULT_MAX_INFLATED_SIZE,
            state: Mutex::new(State {
                file: file.map(Arc::new),
                temp: None,
                closed: false,
                lock,
                entries: parsed.entries,
                records: parsed.records,
                write_pos: parsed.cd_start,
                dirty,
                zip64_threshold: u64::from(u32::MAX),
            }),
        })
    }

    /// The largest size a deflated entry may inflate to (the size it
    /// declares is checked against this before anything is allocated):
    /// reading a bigger one is an error naming the key. By default
    /// [`DEFAULT_MAX_INFLATED_SIZE`] (4 GiB). Stored (uncompressed) entries
    /// are bounded by the archive's size and not limited.
    pub fn with_max_inflated_size(mut self, bytes: u64) -> Self {
        self.max_inflated = bytes;
        self
    }

    /// The limit set by [`ZipStore::with_max_inflated_size`].
    pub fn max_inflated_size(&self) -> u64 {
        self.max_inflated
    }

    /// `Some(n)` when the archive had no valid central directory and its
    /// `n` entries were recovered from their local headers (see the type's
    /// documentation); `None` when it was read from its central directory
    /// (or is new).
    pub fn recovered(&self) -> Option<usize> {
        self.recovered
    }

    /// For tests: write every size and offset from `threshold` up in zip64
    /// fields (normally from 4 GiB), so the zip64 paths can be checked
    /// without writing gigabytes.
    #[doc(hidden)]
    pub fn with_zip64_threshold(self, threshold: u64) -> Self {
        if let Ok(mut st) = self.state.lock() {
            st.zip64_threshold = threshold.min(u64::from(u32::MAX));
        }
        self
    }

    /// The archive's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The mode the archive was opened in.
    pub fn mode(&self) -> ZipMode {
        self.mode
    }

    /// Names in the archive that are not valid keys (and so were skipped
    /// when reading), lossily decoded.
    pub fn skipped_names(&self) -> &[String] {
        &self.skipped
    }

    fn lock(&self, key: &str) -> Result<MutexGuard<'_, State>, StoreError> {
        self.state.lock().map_err(|_| StoreError::Other {
            key: key.to_string(),
            message: "zip store lock poisoned".into(),
        })
    }

    fn closed(&self, key: &str) -> StoreError {
        StoreError::Other {
            key: key.to_string(),
            message: format!("the zip store {} is closed", self.path.display()),
        }
    }

    fn check_writable(&self, operation: &'static str, key: &str) -> Result<(), StoreError> {
        if self.mode == ZipMode::Read {
            return Err(StoreError::ReadOnly {
                operation,
                key: key.to_string(),
            });
        }
        validate_value_key(key)
    }

    fn unsupported_delete(&self) -> StoreError {
        StoreError::Unsupported {
            store: format!("ZipStore({})", self.path.display()),
            operation:
                "delete (entries cannot be removed from a zip archive; write a new archive instead)",
        }
    }

    /// Commit: make the archive on disk hold every write so far (write the
    /// central directory to the temporary file, sync it, rename it over the
    /// archive, sync the folder). Nothing to commit is fine. The store stays
    /// writable: the next write starts a new temporary copy.
    pub fn flush(&self) -> Result<(), StoreError> {
        let mut st = self.lock("")?;
        self.commit(&mut st)
    }

    fn commit(&self, st: &mut State) -> Result<(), StoreError> {
        if st.closed || !st.dirty || self.mode == ZipMode::Read {
            return Ok(());
        }
        self.begin_temp(st, "")?;
        let (Some(file), Some(tmp)) = (st.file.clone(), st.temp.clone()) else {
            return Err(StoreError::Other {
                key: String::new(),
                message: format!("{}: no temporary file to commit", self.path.display()),
            });
        };
        let on_tmp = |e| io_err("", with_path(&tmp, e));
        let tail = central_directory(&st.records, st.write_pos, st.zip64_threshold);
        write_all_at(&file, &tail, st.write_pos).map_err(on_tmp)?;
        file.set_len(st.write_pos + tail.len() as u64)
            .map_err(on_tmp)?;
        file.sync_all().map_err(on_tmp)?;
        fs::rename(&tmp, &self.target).map_err(|e| io_err("", with_path(&self.target, e)))?;
        st.temp = None;
        st.dirty = false;
        sync_dir(parent_dir(&self.target)).map_err(|e| io_err("", with_path(&self.target, e)))
    }

    /// Start the temporary file of a writing session, unless there is one:
    /// a new file beside the archive holding a copy of its entries (the
    /// bytes before `write_pos`). `file` then reads from it.
    fn begin_temp(&self, st: &mut State, key: &str) -> Result<(), StoreError> {
        if st.temp.is_some() {
            return Ok(());
        }
        let dir = parent_dir(&self.target);
        let name = file_name(&self.target);
        let mut attempts = 0;
        let (tmp_path, mut tmp) = loop {
            let p = dir.join(temp_name(&name));
            match OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&p)
            {
                Ok(f) => break (p, f),
                Err(e) if e.kind() == ErrorKind::AlreadyExists && attempts < ATTEMPTS => {
                    attempts += 1;
                }
                Err(e) => return Err(io_err(key, with_path(&p, e))),
            }
        };
        let copied = (|| -> io::Result<()> {
            // The archive keeps its permissions when replaced.
            if let Ok(m) = fs::metadata(&self.target) {
                tmp.set_permissions(m.permissions())?;
            }
            if let Some(src) = &st.file {
                let mut src: &File = src;
                src.seek(SeekFrom::Start(0))?;
                // `io::copy` between files uses copy_file_range on Linux
                // (reflinks where the file system has them).
                let n = io::copy(&mut src.take(st.write_pos), &mut tmp)?;
                if n != st.write_pos {
                    return Err(io::Error::new(
                        ErrorKind::UnexpectedEof,
                        format!(
                            "{} is shorter than its entries ({n} of {} bytes): changed by another program?",
                            self.path.display(),
                            st.write_pos
                        ),
                    ));
                }
            }
            Ok(())
        })();
        if let Err(e) = copied {
            let _ = fs::remove_file(&tmp_path);
            return Err(io_err(key, with_path(&tmp_path, e)));
        }
        st.file = Some(Arc::new(tmp));
        st.temp = Some(tmp_path);
        Ok(())
    }

    /// Commit (when anything changed), close the file and release the
    /// writer's lock. Every later call on the store fails. Closing twice is
    /// fine. This is the way to learn whether the archive was committed:
    /// drop also commits, but cannot report an error.
    pub fn close(&self) -> Result<(), StoreError> {
        let mut st = self.lock("")?;
        self.commit(&mut st)?;
        st.closed = true;
        st.file = None;
        st.lock = None;
        Ok(())
    }

    /// Look a key up: the entry (with its data offset) and the file.
    fn locate(&self, key: &str) -> Result<Option<(Entry, Arc<File>)>, StoreError> {
        let mut st = self.lock(key)?;
        if st.closed {
            return Err(self.closed(key));
        }
        let file = st.file.clone();
        let limit = st.write_pos;
        let Some(entry) = st.entries.get_mut(key) else {
            return Ok(None);
        };
        let Some(file) = file else {
            return Err(self.bad_entry(key, "listed, but there is no file to read it from"));
        };
        if entry.data_offset.is_none() {
            let mut h = [0u8; LOCAL_LEN as usize];
            read_exact_at(&file, &mut h, entry.header_offset).map_err(|e| io_err(key, e))?;
            if u32_at(&h, 0) != LOCAL_SIG {
                return Err(self.bad_entry(key, "no local header at its offset"));
            }
            let data = entry.header_offset
                + LOCAL_LEN
                + u64::from(u16_at(&h, 26))
                + u64::from(u16_at(&h, 28));
            if data
                .checked_add(entry.compressed_size)
                .is_none_or(|end| end > limit)
            {
                return Err(self.bad_entry(key, "its data runs past the entries"));
            }
            entry.data_offset = Some(data);
        }
        Ok(Some((*entry, file)))
    }

    fn bad_entry(&self, key: &str, why: &str) -> StoreError {
        io_err(
            key,
            io::Error::new(
                ErrorKind::InvalidData,
                format!("corrupt entry in {}: {why}", self.path.display()),
            ),
        )
    }

    fn read_entry(
        &self,
        key: &str,
        entry: &Entry,
        file: &File,
        range: Option<ByteRequest>,
    ) -> Result<Vec<u8>, StoreError> {
        if entry.flags & FLAG_ENCRYPTED != 0 {
            return Err(self.bad_entry(key, "encrypted entries are not supported"));
        }
        let data = entry.data_offset.unwrap_or(0);
        match entry.method {
            METHOD_STORED => {
                if entry.compressed_size != entry.size {
                    return Err(self.bad_entry(key, "stored entry with differing sizes"));
                }
                let r = range.map_or(0..entry.size, |r| r.resolve(entry.size));
                let mut out = vec![0u8; (r.end - r.start) as usize];
                read_exact_at(file, &mut out, data + r.start).map_err(|e| io_err(key, e))?;
                if range.is_none() && crc32(&out) != entry.crc {
                    return Err(self.bad_entry(key, "CRC-32 mismatch"));
                }
                Ok(out)
            }
            METHOD_DEFLATE => {
                // A range that ends before the entry does needs only the
                // entry's start inflated (and cannot be checked against the
                // CRC): a bounded read of a huge entry stays bounded.
                if let Some(r) = range.map(|r| r.resolve(entry.size)) {
                    if r.end < entry.size {
                        return self.inflate_prefix(key, entry, file, r);
                    }
                }
                // Every check of the declared size comes before allocating.
                if entry.size > self.max_inflated {
                    return Err(StoreError::Other {
                        key: key.to_string(),
                        message: format!(
                            "the deflated entry in {} declares {} bytes, more than the limit of {} \
                             bytes (ZipStore::with_max_inflated_size)",
                            self.path.display(),
                            entry.size,
                            self.max_inflated
                        ),
                    });
                }
                // Deflate expands at most 1032:1: a size beyond that is a lie.
                if entry.size
                    > entry
                        .compressed_size
                        .saturating_mul(1032)
                        .saturating_add(64)
                {
                    return Err(self.bad_entry(
                        key,
                        &format!(
                            "a deflated entry of {} bytes cannot inflate to the {} bytes it declares",
                            entry.compressed_size, entry.size
                        ),
                    ));
                }
                let Ok(size) = usize::try_from(entry.size) else {
                    return Err(self.bad_entry(key, "too large for this platform"));
                };
                // Never more than one byte past the declared size.
                let out = self.inflate(key, entry, file, entry.size.saturating_add(1))?;
                if out.len() != size {
                    return Err(self.bad_entry(
                        key,
                        &format!(
                            "deflated data inflates to {} than the {} bytes it declares",
                            if out.len() > size { "more" } else { "less" },
                            entry.size
                        ),
                    ));
                }
                if crc32(&out) != entry.crc {
                    return Err(self.bad_entry(key, "CRC-32 mismatch"));
                }
                Ok(match range {
                    None => out,
                    Some(r) => {
                        let r = r.resolve(entry.size);
                        out[r.start as usize..r.end as usize].to_vec()
                    }
                })
            }
            m => Err(self.bad_entry(
                key,
                &format!("compression method {m} is not supported (only stored and deflate)"),
            )),
        }
    }

    /// Bytes `r` of a deflated entry, inflating no more than `r.end` bytes
    /// (`r.end` is less than the entry's declared size).
    fn inflate_prefix(
        &self,
        key: &str,
        entry: &Entry,
        file: &File,
        r: std::ops::Range<u64>,
    ) -> Result<Vec<u8>, StoreError> {
        let mut out = self.inflate(key, entry, file, r.end)?;
        if (out.len() as u64) < r.end {
            return Err(self.bad_entry(
                key,
                &format!(
                    "deflated data inflates to less than the {} bytes it declares",
                    entry.size
                ),
            ));
        }
        out.drain(..r.start as usize);
        Ok(out)
    }

    /// The first `limit` inflated bytes of a deflated entry (all of them
    /// when it inflates to less).
    fn inflate(
        &self,
        key: &str,
        entry: &Entry,
        file: &File,
        limit: u64,
    ) -> Result<Vec<u8>, StoreError> {
        let data = entry.data_offset.unwrap_or(0);
        let Ok(csize) = usize::try_from(entry.compressed_size) else {
            return Err(self.bad_entry(key, "too large for this platform"));
        };
        // Bounded by the archive's length (checked in `locate`).
        let mut raw = vec![0u8; csize];
        read_exact_at(file, &mut raw, data).map_err(|e| io_err(key, e))?;
        let reserve = usize::try_from(limit.min(INFLATE_RESERVE)).unwrap_or(0);
        let mut out = Vec::with_capacity(reserve);
        flate2::read::DeflateDecoder::new(&raw[..])
            .take(limit)
            .read_to_end(&mut out)
            .map_err(|e| io_err(key, e))?;
        Ok(out)
    }

    /// Append one entry (under the lock).
    fn write_entry(&self, st: &mut State, key: &str, value: &[u8]) -> Result<(), StoreError> {
        if st.closed {
            return Err(self.closed(key));
        }
        let name = key.as_bytes();
        if name.len() > usize::from(u16::MAX) {
            return Err(StoreError::InvalidKey {
                key: key.to_string(),
                reason: "zip entry names are at most 65535 bytes".into(),
            });
        }
        // Never into the committed archive: into this session's temporary file.
        self.begin_temp(st, key)?;
        let Some(file) = st.file.clone() else {
            return Err(self.closed(key));
        };
        let size = value.len() as u64;
        let crc = crc32(value);
        let (time, date) = dos_now();
        let offset = st.write_pos;
        let zip64 = size >= st.zip64_threshold;
        let mut h = Vec::with_capacity(LOCAL_LEN as usize + name.len() + 20);
        h.extend_from_slice(&LOCAL_SIG.to_le_bytes());
        h.extend_from_slice(&(if zip64 { VERSION_ZIP64 } else { VERSION_PLAIN }).to_le_bytes());
        h.extend_from_slice(&FLAG_UTF8.to_le_bytes());
        h.extend_from_slice(&METHOD_STORED.to_le_bytes());
        h.extend_from_slice(&time.to_le_bytes());
        h.extend_from_slice(&date.to_le_bytes());
        h.extend_from_slice(&crc.to_le_bytes());
        let small = if zip64 { u32::MAX } else { size as u32 };
        h.extend_from_slice(&small.to_le_bytes());
        h.extend_from_slice(&small.to_le_bytes());
        h.extend_from_slice(&(name.len() as u16).to_le_bytes());
        h.extend_from_slice(&(if zip64 { 20u16 } else { 0 }).to_le_bytes());
        h.extend_from_slice(name);
        if zip64 {
            h.extend_from_slice(&ZIP64_EXTRA_ID.to_le_bytes());
            h.extend_from_slice(&16u16.to_le_bytes());
            h.extend_from_slice(&size.to_le_bytes());
            h.extend_from_slice(&size.to_le_bytes());
        }
        let data_offset = offset + h.len() as u64;
        st.dirty = true;
        write_all_at(&file, &h, offset).map_err(|e| io_err(key, e))?;
        write_all_at(&file, value, data_offset).map_err(|e| io_err(key, e))?;
        st.write_pos = data_offset + size;
        st.records.push(Record {
            name: name.to_vec(),
            version_made_by: VERSION_MADE_BY,
            flags: FLAG_UTF8,
            method: METHOD_STORED,
            time,
            date,
            crc,
            compressed_size: size,
            size,
            header_offset: offset,
            external_attr: EXTERNAL_FILE,
        });
        st.entries.insert(
            key.to_string(),
            Entry {
                header_offset: offset,
                data_offset: Some(data_offset),
                compressed_size: size,
                size,
                method: METHOD_STORED,
                flags: FLAG_UTF8,
                crc,
            },
        );
        Ok(())
    }
}

fn with_path(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

impl Drop for ZipStore {
    fn drop(&mut self) {
        if let Ok(mut st) = self.state.lock() {
            // The last resort: commit. Errors cannot be reported here
            // (`close` reports them); an uncommitted temporary file is
            // removed rather than left behind.
            if self.commit(&mut st).is_err() {
                if let Some(tmp) = st.temp.take() {
                    st.file = None;
                    let _ = fs::remove_file(tmp);
                }
            }
        }
    }
}

/// The central directory and end records for `records`, placed at `start`.
fn central_directory(records: &[Record], start: u64, threshold: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(records.len() * 80 + 100);
    for r in records {
        let mut extra = Vec::new();
        let mut field = |v: u64| -> u32 {
            if v >= threshold {
                extra.extend_from_slice(&v.to_le_bytes());
                u32::MAX
            } else {
                v as u32
            }
        };
        let size = field(r.size);
        let csize = field(r.compressed_size);
        let offset = field(r.header_offset);
        let zip64 = !extra.is_empty();
        out.extend_from_slice(&CENTRAL_SIG.to_le_bytes());
        out.extend_from_slice(&r.version_made_by.to_le_bytes());
        out.extend_from_slice(&(if zip64 { VERSION_ZIP64 } else { VERSION_PLAIN }).to_le_bytes());
        out.extend_from_slice(&r.flags.to_le_bytes());
        out.extend_from_slice(&r.method.to_le_bytes());
        out.extend_from_slice(&r.time.to_le_bytes());
        out.extend_from_slice(&r.date.to_le_bytes());
        out.extend_from_slice(&r.crc.to_le_bytes());
        out.extend_from_slice(&csize.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&(r.name.len() as u16).to_le_bytes());
        let extra_len = if zip64 { extra.len() + 4 } else { 0 };
        out.extend_from_slice(&(extra_len as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // comment
        out.extend_from_slice(&0u16.to_le_bytes()); // disk
        out.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        out.extend_from_slice(&r.external_attr.to_le_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&r.name);
        if zip64 {
            out.extend_from_slice(&ZIP64_EXTRA_ID.to_le_bytes());
            out.extend_from_slice(&(extra.len() as u16).to_le_bytes());
            out.extend_from_slice(&extra);
        }
    }
    let count = records.len() as u64;
    let cd_size = out.len() as u64;
    let small = |v: u64| if v >= threshold { u32::MAX } else { v as u32 };
    if count >= 0xFFFF || cd_size >= threshold || start >= threshold {
        let zip64_eocd = start + cd_size;
        out.extend_from_slice(&ZIP64_EOCD_SIG.to_le_bytes());
        out.extend_from_slice(&(ZIP64_EOCD_LEN - 12).to_le_bytes());
        out.extend_from_slice(&VERSION_MADE_BY.to_le_bytes());
        out.extend_from_slice(&VERSION_ZIP64.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&cd_size.to_le_bytes());
        out.extend_from_slice(&start.to_le_bytes());
        out.extend_from_slice(&ZIP64_LOCATOR_SIG.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&zip64_eocd.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
    }
    let count16 = count.min(0xFFFF) as u16;
    out.extend_from_slice(&EOCD_SIG.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&count16.to_le_bytes());
    out.extend_from_slice(&count16.to_le_bytes());
    out.extend_from_slice(&small(cd_size).to_le_bytes());
    out.extend_from_slice(&small(start).to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

#[derive(Default)]
struct Parsed {
    entries: BTreeMap<String, Entry>,
    records: Vec<Record>,
    skipped: Vec<String>,
    /// Where the central directory starts (new entries go here).
    cd_start: u64,
    /// The file was empty (a new archive).
    new: bool,
    /// Read from local headers (no valid central directory): how many.
    recovered: Option<usize>,
}

impl Parsed {
    /// Add an entry read from the archive: readable under its name when
    /// that is a valid key, else skipped (folder entries are neither); its
    /// record is kept either way, so that appending keeps it.
    fn add(&mut self, record: Record, entry: Entry) {
        match std::str::from_utf8(&record.name) {
            Ok(s) if s.ends_with('/') => {} // a folder entry
            Ok(s) if !s.is_empty() && validate_key(s).is_ok() => {
                self.entries.insert(s.to_string(), entry);
            }
            _ => self
                .skipped
                .push(String::from_utf8_lossy(&record.name).into_owned()),
        }
        self.records.push(record);
    }
}

/// The body of the zip64 extended information field in `extra`, if any.
fn zip64_extra(extra: &[u8]) -> Option<&[u8]> {
    let mut j = 0;
    while j + 4 <= extra.len() {
        let id = u16_at(extra, j);
        let flen = usize::from(u16_at(extra, j + 2));
        let body = &extra[j + 4..(j + 4 + flen).min(extra.len())];
        if id == ZIP64_EXTRA_ID {
            return Some(body);
        }
        j += 4 + flen;
    }
    None
}

/// Replace each field equal to `u32::MAX` by the next 8 bytes of the zip64
/// extra field of `extra`, in order; false when the field is too short.
fn apply_zip64(extra: &[u8], fields: &mut [&mut u64]) -> bool {
    if fields.iter().all(|v| **v != u64::from(u32::MAX)) {
        return true;
    }
    // Without the field the values stand (as other readers take them).
    let Some(body) = zip64_extra(extra) else {
        return true;
    };
    let mut k = 0;
    for v in fields.iter_mut() {
        if **v == u64::from(u32::MAX) {
            if k + 8 > body.len() {
                return false;
            }
            **v = u64_at(body, k);
            k += 8;
        }
    }
    true
}

/// Read the archive's central directory; when it has none that is valid,
/// recover the entries from the local headers ([`recover`]). The first
/// error stands when nothing can be recovered.
fn parse_or_recover(file: &File, path: &Path) -> Result<Parsed, StoreError> {
    let e = match parse(file, path) {
        Ok(p) => return Ok(p),
        Err(e) => e,
    };
    let broken = matches!(
        &e,
        StoreError::Io { source, .. }
            if matches!(source.kind(), ErrorKind::InvalidData | ErrorKind::UnexpectedEof)
    );
    if !broken {
        return Err(e);
    }
    let len = file.metadata().map_err(|e| io_err("", e))?.len();
    let parsed = recover(file, len);
    match parsed.recovered {
        Some(n) if n > 0 => {
            tracing::warn!(
                "{}: {e}; recovered {n} entries from their local headers",
                path.display()
            );
            Ok(parsed)
        }
        _ => Err(e),
    }
}

/// Scan the local file headers of an archive of `len` bytes from offset 0,
/// for an archive without a valid central directory. Stops at the first
/// header that is cut short, not a local header (a central directory
/// starts, say), uses a method other than stored or deflate, has its sizes
/// in a data descriptor, or has inconsistent sizes. New entries go after the
/// last complete one.
fn recover(file: &File, len: u64) -> Parsed {
    let mut parsed = Parsed::default();
    let mut pos = 0u64;
    let mut count = 0usize;
    while let Some(fixed_end) = pos.checked_add(LOCAL_LEN).filter(|&e| e <= len) {
        let mut h = [0u8; LOCAL_LEN as usize];
        if read_exact_at(file, &mut h, pos).is_err() || u32_at(&h, 0) != LOCAL_SIG {
            break;
        }
        let flags = u16_at(&h, 6);
        let method = u16_at(&h, 8);
        if flags & FLAG_DATA_DESCRIPTOR != 0 || !matches!(method, METHOD_STORED | METHOD_DEFLATE) {
            break;
        }
        let mut csize = u64::from(u32_at(&h, 18));
        let mut size = u64::from(u32_at(&h, 22));
        let name_len = usize::from(u16_at(&h, 26));
        let extra_len = usize::from(u16_at(&h, 28));
        // At most 128 KiB, and only when the file holds them.
        let Some(data) = fixed_end
            .checked_add((name_len + extra_len) as u64)
            .filter(|&d| d <= len)
        else {
            break;
        };
        let mut var = vec![0u8; name_len + extra_len];
        if read_exact_at(file, &mut var, fixed_end).is_err() {
            break;
        }
        let (name, extra) = var.split_at(name_len);
        if !apply_zip64(extra, &mut [&mut size, &mut csize])
            || (method == METHOD_STORED && csize != size)
        {
            break;
        }
        let Some(end) = data.checked_add(csize).filter(|&e| e <= len) else {
            break;
        };
        let crc = u32_at(&h, 14);
        let record = Record {
            name: name.to_vec(),
            version_made_by: VERSION_MADE_BY,
            flags,
            method,
            time: u16_at(&h, 10),
            date: u16_at(&h, 12),
            crc,
            compressed_size: csize,
            size,
            header_offset: pos,
            external_attr: if name.ends_with(b"/") {
                EXTERNAL_DIR
            } else {
                EXTERNAL_FILE
            },
        };
        parsed.add(
            record,
            Entry {
                header_offset: pos,
                data_offset: Some(data),
                compressed_size: csize,
                size,
                method,
                flags,
                crc,
            },
        );
        count += 1;
        pos = end;
    }
    parsed.cd_start = pos;
    parsed.recovered = Some(count);
    parsed
}

/// Read the central directory of the archive in `file`.
fn parse(file: &File, path: &Path) -> Result<Parsed, StoreError> {
    let len = file.metadata().map_err(|e| io_err("", e))?.len();
    if len < EOCD_LEN {
        return Err(corrupt(
            path,
            "too short for an end of central directory record",
        ));
    }
    // The end record is in the last 22 + 65535 (comment) bytes.
    let tail_len = len.min(EOCD_LEN + 0xFFFF);
    let mut tail = vec![0u8; tail_len as usize];
    read_exact_at(file, &mut tail, len - tail_len).map_err(|e| io_err("", e))?;
    let eocd_in_tail = (0..=tail.len() - EOCD_LEN as usize)
        .rev()
        .find(|&i| u32_at(&tail, i) == EOCD_SIG)
        .ok_or_else(|| corrupt(path, "no end of central directory record"))?;
    let eocd_pos = len - tail_len + eocd_in_tail as u64;
    let e = &tail[eocd_in_tail..];
    if u16_at(e, 4) != 0 || u16_at(e, 6) != 0 {
        return Err(corrupt(path, "multi-disk archives are not supported"));
    }
    let mut count = u64::from(u16_at(e, 10));
    let mut cd_size = u64::from(u32_at(e, 12));
    let mut cd_offset = u64::from(u32_at(e, 16));
    // Where the (zip64) end record starts: the central directory ends there.
    let mut cd_end = eocd_pos;
    let needs64 =
        count == 0xFFFF || cd_size == u64::from(u32::MAX) || cd_offset == u64::from(u32::MAX);
    if eocd_pos >= ZIP64_LOCATOR_LEN {
        let mut loc = [0u8; ZIP64_LOCATOR_LEN as usize];
        read_exact_at(file, &mut loc, eocd_pos - ZIP64_LOCATOR_LEN).map_err(|e| io_err("", e))?;
        if u32_at(&loc, 0) == ZIP64_LOCATOR_SIG {
            let pos = u64_at(&loc, 8);
            if pos
                .checked_add(ZIP64_EOCD_LEN)
                .is_none_or(|end| end > eocd_pos - ZIP64_LOCATOR_LEN)
            {
                return Err(corrupt(path, "zip64 end record out of bounds"));
            }
            let mut z = [0u8; ZIP64_EOCD_LEN as usize];
            read_exact_at(file, &mut z, pos).map_err(|e| io_err("", e))?;
            if u32_at(&z, 0) != ZIP64_EOCD_SIG {
                return Err(corrupt(path, "bad zip64 end record signature"));
            }
            count = u64_at(&z, 32);
            cd_size = u64_at(&z, 40);
            cd_offset = u64_at(&z, 48);
            cd_end = pos;
        } else if needs64 {
            return Err(corrupt(path, "zip64 end record locator missing"));
        }
    }
    // Data prepended to the archive (e.g. a self-extractor) shifts offsets.
    let cd_start = cd_end
        .checked_sub(cd_size)
        .ok_or_else(|| corrupt(path, "central directory larger than the file"))?;
    let base = cd_start
        .checked_sub(cd_offset)
        .ok_or_else(|| corrupt(path, "central directory offset past its position"))?;
    if count > cd_size / CENTRAL_LEN as u64 {
        return Err(corrupt(
            path,
            "more entries than the central directory can hold",
        ));
    }
    let mut cd = vec![0u8; cd_size as usize];
    read_exact_at(file, &mut cd, cd_start).map_err(|e| io_err("", e))?;
    let mut parsed = Parsed {
        cd_start,
        ..Parsed::default()
    };
    let mut i = 0usize;
    for n in 0..count {
        let bad = |what: &str| corrupt(path, format!("central directory entry {n}: {what}"));
        if i + CENTRAL_LEN > cd.len() || u32_at(&cd, i) != CENTRAL_SIG {
            return Err(bad("bad signature or truncated"));
        }
        let r = &cd[i..];
        let name_len = usize::from(u16_at(r, 28));
        let extra_len = usize::from(u16_at(r, 30));
        let comment_len = usize::from(u16_at(r, 32));
        let total = CENTRAL_LEN + name_len + extra_len + comment_len;
        if i + total > cd.len() {
            return Err(bad("runs past the central directory"));
        }
        let name = &r[CENTRAL_LEN..CENTRAL_LEN + name_len];
        let extra = &r[CENTRAL_LEN + name_len..CENTRAL_LEN + name_len + extra_len];
        let mut size = u64::from(u32_at(r, 24));
        let mut csize = u64::from(u32_at(r, 20));
        let mut offset = u64::from(u32_at(r, 42));
        // zip64 extra field: the 0xFFFFFFFF fields, in this order.
        if !apply_zip64(extra, &mut [&mut size, &mut csize, &mut offset]) {
            return Err(bad("truncated zip64 extra field"));
        }
        let header_offset = offset
            .checked_add(base)
            .filter(|&o| o.checked_add(LOCAL_LEN).is_some_and(|e| e <= cd_start))
            .ok_or_else(|| bad("local header offset out of bounds"))?;
        if csize > cd_start {
            return Err(bad("compressed size larger than the archive"));
        }
        let flags = u16_at(r, 8);
        let record = Record {
            name: name.to_vec(),
            version_made_by: u16_at(r, 4),
            flags,
            method: u16_at(r, 10),
            time: u16_at(r, 12),
            date: u16_at(r, 14),
            crc: u32_at(r, 16),
            compressed_size: csize,
            size,
            header_offset,
            external_attr: u32_at(r, 38),
        };
        let entry = Entry {
            header_offset,
            data_offset: None,
            compressed_size: csize,
            size,
            method: record.method,
            flags,
            crc: record.crc,
        };
        parsed.add(record, entry);
        i += total;
    }
    Ok(parsed)
}

impl Store for ZipStore {
    fn location(&self) -> Option<super::StoreLocation> {
        Some(super::StoreLocation::zip(&self.path, ""))
    }
    fn get(
        &self,
        key: &str,
        prototype: &BufferPrototype,
        range: Option<ByteRequest>,
    ) -> Result<Option<Buffer>, StoreError> {
        validate_key(key)?;
        let Some((entry, file)) = self.locate(key)? else {
            return Ok(None);
        };
        let data = self.read_entry(key, &entry, &file, range)?;
        Ok(Some(prototype.buffer_from_bytes(data.into())))
    }

    fn set(&self, key: &str, value: Buffer) -> Result<(), StoreError> {
        self.check_writable("set", key)?;
        let mut st = self.lock(key)?;
        self.write_entry(&mut st, key, &value)
    }

    fn set_if_not_exists(&self, key: &str, value: Buffer) -> Result<bool, StoreError> {
        self.check_writable("set", key)?;
        let mut st = self.lock(key)?;
        if st.entries.contains_key(key) {
            return Ok(false);
        }
        self.write_entry(&mut st, key, &value)?;
        Ok(true)
    }

    /// Deleting a missing key does nothing (as the contract says, and so
    /// that writing a chunk that equals the fill value everywhere works);
    /// deleting an existing one is [`StoreError::Unsupported`], as in
    /// zarr-python.
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.check_writable("delete", key)?;
        if self.lock(key)?.entries.contains_key(key) {
            return Err(self.unsupported_delete());
        }
        Ok(())
    }

    /// Nothing to delete is fine; keys under `prefix` are
    /// [`StoreError::Unsupported`], as in zarr-python.
    fn delete_dir(&self, prefix: &str) -> Result<(), StoreError> {
        if self.mode == ZipMode::Read {
            return Err(StoreError::ReadOnly {
                operation: "delete",
                key: prefix.to_string(),
            });
        }
        if self.is_empty(prefix)? {
            return Ok(());
        }
        Err(self.unsupported_delete())
    }

    fn list_prefix(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        validate_prefix(prefix)?;
        let st = self.lock(prefix)?;
        Ok(st
            .entries
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, _)| k.clone())
            .collect())
    }

    fn list_dir(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let p = dir_prefix(prefix)?;
        let st = self.lock(prefix)?;
        let children: BTreeSet<&str> = st
            .entries
            .range(p.clone()..)
            .take_while(|(k, _)| k.starts_with(&p))
            .filter_map(|(k, _)| k[p.len()..].split('/').next())
            .filter(|c| !c.is_empty())
            .collect();
        Ok(children.into_iter().map(str::to_string).collect())
    }

    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        validate_key(key)?;
        Ok(self.lock(key)?.entries.contains_key(key))
    }

    fn getsize(&self, key: &str) -> Result<u64, StoreError> {
        validate_key(key)?;
        match self.lock(key)?.entries.get(key) {
            Some(e) => Ok(e.size),
            None => Err(StoreError::NotFound {
                key: key.to_string(),
            }),
        }
    }

    fn getsize_prefix(&self, prefix: &str) -> Result<u64, StoreError> {
        validate_prefix(prefix)?;
        let st = self.lock(prefix)?;
        Ok(st
            .entries
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(_, e)| e.size)
            .sum())
    }

    fn is_empty(&self, prefix: &str) -> Result<bool, StoreError> {
        let p = dir_prefix(prefix)?;
        let st = self.lock(prefix)?;
        Ok(!st
            .entries
            .range(p.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&p)))
    }

    fn read_only(&self) -> bool {
        self.mode == ZipMode::Read
    }

    fn close(&self) -> Result<(), StoreError> {
        ZipStore::close(self)
    }

    fn supports_writes(&self) -> bool {
        self.mode != ZipMode::Read
    }

    fn supports_deletes(&self) -> bool {
        false
    }
}
