//! [`LocalStore`]: a folder on the local file system.

use super::{
    dir_prefix, validate_key, validate_prefix, validate_value_key, ByteRequest, Expected, Store,
    StoreError, LOCK_SUFFIX, TEMP_SUFFIX,
};
use crate::buffer::{Buffer, BufferPrototype};
use std::fs::{self, File, OpenOptions};
use std::io::{self, ErrorKind, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Makes temporary file names unique within this process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// How many times a write retries creating its temporary file (after
/// creating missing folders, or after a name collision).
const TEMP_ATTEMPTS: u32 = 64;

/// A store over a folder: each key is a file path relative to the root.
///
/// # Layout
///
/// Key `a/b/c` is the file `<root>/a/b/c`. Every key is checked with
/// [`validate_key`] (and, on Windows, for `:`, trailing dots or spaces and
/// device names such as `NUL`), so no key can name a path outside the root:
/// `..`, `.`, empty segments, absolute paths, drive letters and backslashes
/// are all refused with [`StoreError::InvalidKey`].
///
/// # Writes
///
/// [`Store::set`] writes the value to a temporary file in the target's folder
/// (`.{name}.{pid}.{counter}.zarr-tmp`), optionally syncs it
/// ([`LocalStore::with_sync_data`]), then renames it over the target, so a
/// reader sees either the whole old value or the whole new one, never a mix.
/// [`Store::set_if_not_exists`] writes a temporary file the same way and then
/// hard-links it to the target, which fails when the target exists; where the
/// file system has no hard links it falls back to creating the target with
/// `create_new` (exclusive, but a concurrent reader may then see a partly
/// written value). Temporary files are removed on failure and never listed;
/// key segments of their form are reserved ([`is_temp_name`](super::is_temp_name)).
///
/// [`Store::set_if_unchanged`] (conditional writes) is safe across threads
/// and processes: it holds an operating-system lock ([`File::lock`], `flock`
/// on Unix) on a lock file `.{name}.zarr-lock` next to the value while it
/// compares the stored bytes with the expected ones and renames its
/// temporary file into place. The OS releases the lock when its holder dies,
/// so a crashed writer never blocks others; a leftover lock file is harmless
/// (and, on Unix, removed by the next conditional write). Lock files are never
/// listed. This relies on the file system honouring `flock` between all
/// writers (local file systems do; some network file systems do not).
/// Missing folders are created on demand; [`Store::delete`] and
/// [`Store::delete_dir`] remove folders left empty, up to (not including) the
/// root.
///
/// # Symbolic links
///
/// * Reads (`get`, `exists`, `getsize`, listing) follow symbolic links, so a
///   store may be assembled from linked files and folders. Listing does not
///   enter a linked folder that is already being walked (no cycles).
/// * Writes and deletes refuse ([`StoreError::PathEscape`]) to go through a
///   folder that is a symbolic link leading outside the root (or a dangling
///   one). Links that stay inside the root are allowed. The last component is
///   never followed: `set` replaces a link at the key itself, `delete` removes
///   the link, not its target.
/// * The check happens before the write; a concurrent process that swaps a
///   folder for a link between the check and the write is not defended
///   against.
///
/// # Listing
///
/// Listings are sorted. File names that are not UTF-8 or not valid key
/// segments are skipped. [`Store::list_dir`] lists sub-folders as children
/// even when they hold no keys (such folders only appear when made outside
/// the store, or for a moment while a write creates its folders).
///
/// # Example
///
/// ```
/// use zarr::store::{LocalStore, Store};
/// let dir = tempfile::tempdir().unwrap();
/// let store = LocalStore::new(dir.path().join("data.zarr"), false).unwrap();
/// store.set("a/zarr.json", b"{}".to_vec().into()).unwrap();
/// assert_eq!(store.list().unwrap(), vec!["a/zarr.json".to_string()]);
/// assert!(dir.path().join("data.zarr/a/zarr.json").is_file());
/// ```
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
    read_only: bool,
    sync_data: bool,
}

/// What a folder entry is, following symbolic links.
enum EntryKind {
    File,
    Dir { via_link: bool },
    Other,
}

/// Create `dir` and its parents while other threads or processes may be
/// removing empty folders of the store (after deleting the last key in
/// them): a folder that vanishes mid-way makes `create_dir_all` fail with
/// `NotFound` or, when it existed at `mkdir` and was gone when checked,
/// `AlreadyExists`. Both mean "try again", which the callers do (they
/// retry the file creation that found the folder missing).
fn create_dir_racing(key: &str, dir: &Path) -> Result<(), StoreError> {
    match fs::create_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::AlreadyExists) => Ok(()),
        Err(e) => Err(io_err(key, e)),
    }
}

impl LocalStore {
    /// Open a folder store at `root`. Nothing is created here: a writable
    /// store creates its root (and every folder below it) on the first write,
    /// and a read-only store over a missing folder is simply empty. An empty
    /// `root` means the current folder. An error when `root` exists and is
    /// not a folder.
    pub fn new(root: impl Into<PathBuf>, read_only: bool) -> Result<Self, StoreError> {
        let mut root = root.into();
        if root.as_os_str().is_empty() {
            root = PathBuf::from(".");
        }
        match fs::metadata(&root) {
            Ok(m) if !m.is_dir() => {
                return Err(io_err(
                    "",
                    io::Error::new(
                        ErrorKind::NotADirectory,
                        format!("store root {} is not a folder", root.display()),
                    ),
                ))
            }
            Ok(_) => {}
            Err(e) if is_missing(&e) => {}
            Err(e) => return Err(io_err("", e)),
        }
        Ok(LocalStore {
            root,
            read_only,
            sync_data: false,
        })
    }

    /// The folder this store reads and writes.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether each write syncs the file's data to disk
    /// ([`File::sync_data`]) before renaming it into place, so that after a
    /// crash a key holds a complete value (old or new) on file systems that
    /// do not order renames after data. Off by default: atomicity against
    /// concurrent readers does not need it, and it costs a disk flush per
    /// write.
    pub fn with_sync_data(mut self, sync_data: bool) -> Self {
        self.sync_data = sync_data;
        self
    }

    /// True when writes sync data before renaming (see [`Self::with_sync_data`]).
    pub fn sync_data(&self) -> bool {
        self.sync_data
    }

    /// The path of a (valid) key.
    fn key_path(&self, key: &str) -> PathBuf {
        let mut p = self.root.clone();
        for seg in key.split('/').filter(|s| !s.is_empty()) {
            p.push(seg);
        }
        p
    }

    fn check_key(key: &str) -> Result<(), StoreError> {
        validate_key(key)?;
        check_platform_key(key, key)
    }

    fn check_writable(&self, operation: &'static str, key: &str) -> Result<(), StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly {
                operation,
                key: key.to_string(),
            });
        }
        validate_value_key(key)?;
        check_platform_key(key, key)
    }

    /// Refuse a write through `segments` (folders below the root, outermost
    /// first) when one of them is a symbolic link that leads outside the root
    /// or nowhere.
    fn check_no_escape<'a>(
        &self,
        key: &str,
        segments: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), StoreError> {
        let mut path = self.root.clone();
        let mut canonical_root: Option<PathBuf> = None;
        for seg in segments {
            path.push(seg);
            match fs::symlink_metadata(&path) {
                Ok(m) if m.file_type().is_symlink() => {
                    let root = match &canonical_root {
                        Some(r) => r.clone(),
                        None => {
                            let r = fs::canonicalize(&self.root).map_err(|e| io_err(key, e))?;
                            canonical_root = Some(r.clone());
                            r
                        }
                    };
                    match fs::canonicalize(&path) {
                        Ok(target) if target.starts_with(&root) => {}
                        Ok(_) => {
                            return Err(StoreError::PathEscape {
                                key: key.to_string(),
                                path,
                            })
                        }
                        Err(e) if is_missing(&e) => {
                            return Err(StoreError::PathEscape {
                                key: key.to_string(),
                                path,
                            })
                        }
                        Err(e) => return Err(io_err(key, e)),
                    }
                }
                Ok(_) => {}
                // The rest does not exist yet: it will be made of real folders.
                Err(e) if is_missing(&e) => return Ok(()),
                Err(e) => return Err(io_err(key, e)),
            }
        }
        Ok(())
    }

    /// Write `value` into `file`, just created at `path`, syncing it when
    /// [`sync_data`](Self::sync_data) is set; on failure the file is removed.
    fn fill_new_file(
        &self,
        key: &str,
        mut file: fs::File,
        path: &Path,
        value: &[u8],
    ) -> Result<(), StoreError> {
        let written = file.write_all(value).and_then(|()| {
            if self.sync_data {
                file.sync_data()
            } else {
                Ok(())
            }
        });
        drop(file);
        written.map_err(|e| {
            let _ = fs::remove_file(path);
            io_err(key, e)
        })
    }

    /// Write `value` to a fresh temporary file next to `path` (creating
    /// missing folders) and return its path.
    fn write_temp(&self, key: &str, path: &Path, value: &[u8]) -> Result<PathBuf, StoreError> {
        let dir = path.parent().unwrap_or(&self.root);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut attempts = 0;
        loop {
            let tmp = dir.join(temp_name(&name));
            match OpenOptions::new().write(true).create_new(true).open(&tmp) {
                Ok(file) => {
                    self.fill_new_file(key, file, &tmp, value)?;
                    return Ok(tmp);
                }
                // The folder is missing: the first write there, or a
                // concurrent delete removed it as empty. (Re)create it.
                Err(e) if e.kind() == ErrorKind::NotFound && attempts < TEMP_ATTEMPTS => {
                    attempts += 1;
                    create_dir_racing(key, dir)?;
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists && attempts < TEMP_ATTEMPTS => {
                    attempts += 1;
                }
                Err(e) => return Err(io_err(key, e)),
            }
        }
    }

    /// Take the lock of `key` (whose file is `path`) for a conditional write.
    fn lock_key(&self, key: &str, path: &Path) -> Result<KeyLock, StoreError> {
        let dir = path.parent().unwrap_or(&self.root);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let lock_path = dir.join(lock_name(&name));
        let mut attempts = 0;
        loop {
            let file = match OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&lock_path)
            {
                Ok(f) => f,
                Err(e) if e.kind() == ErrorKind::NotFound && attempts < TEMP_ATTEMPTS => {
                    attempts += 1;
                    create_dir_racing(key, dir)?;
                    continue;
                }
                Err(e) => return Err(io_err(key, e)),
            };
            file.lock().map_err(|e| io_err(key, e))?;
            // The previous holder may have removed the lock file while we
            // waited on it: then this lock guards nothing; start again.
            if lock_file_current(&file, &lock_path) {
                return Ok(KeyLock {
                    _file: file,
                    path: lock_path,
                });
            }
        }
    }

    /// The node lock of `path` ([`Store::lock_node`]): `flock` on
    /// `.{name}.zarr-lock` beside the node's folder (removed on release,
    /// like key locks), or on the root folder itself for the root, waiting
    /// up to [`super::lock_timeout`].
    fn node_lock(&self, path: &str) -> Result<super::NodeLock, StoreError> {
        let key = path.trim_matches('/');
        Self::check_key(key)?;
        let (lock_path, is_root) = if key.is_empty() {
            (self.root.clone(), true)
        } else {
            self.check_no_escape(key, parent_segments(key))?;
            let node = self.key_path(key);
            let dir = node.parent().unwrap_or(&self.root).to_path_buf();
            let name = node
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (dir.join(lock_name(&name)), false)
        };
        let id = fs::canonicalize(&self.root)
            .unwrap_or_else(|_| self.root.clone())
            .join(key)
            .join(".node-lock");
        let timeout = super::lock_timeout();
        let locked = |lock_path: &Path| StoreError::Locked {
            store: self.root.display().to_string(),
            lock: lock_path.to_path_buf(),
        };
        super::node_lock::shared(id, || {
            let started = std::time::Instant::now();
            let mut attempts = 0;
            loop {
                let file = if is_root {
                    File::open(&lock_path)
                } else {
                    OpenOptions::new()
                        .read(true)
                        .write(true)
                        .create(true)
                        .truncate(false)
                        .open(&lock_path)
                };
                let file = match file {
                    Ok(f) => f,
                    Err(e) if e.kind() == ErrorKind::NotFound && attempts < TEMP_ATTEMPTS => {
                        attempts += 1;
                        // The root folder itself, or the node's parent.
                        let dir = if is_root {
                            Some(lock_path.as_path())
                        } else {
                            lock_path.parent()
                        };
                        if let Some(dir) = dir {
                            create_dir_racing(key, dir)?;
                        }
                        continue;
                    }
                    Err(e) => return Err(io_err(key, e)),
                };
                match file.try_lock() {
                    Ok(()) => {}
                    Err(std::fs::TryLockError::WouldBlock) => {
                        if started.elapsed() >= timeout {
                            return Err(locked(&lock_path));
                        }
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        continue;
                    }
                    Err(std::fs::TryLockError::Error(e)) => return Err(io_err(key, e)),
                }
                if is_root {
                    return Ok(Arc::new(RootLock { _file: file }) as Arc<_>);
                }
                // The previous holder may have removed the lock file.
                if lock_file_current(&file, &lock_path) {
                    return Ok(Arc::new(KeyLock {
                        _file: file,
                        path: lock_path.clone(),
                    }) as Arc<_>);
                }
            }
        })
    }

    /// Remove the folders holding `path` while they are empty, up to (not
    /// including) the root. Failures just stop the climb.
    fn remove_empty_parents(&self, path: &Path) {
        let mut dir = path.parent();
        while let Some(d) = dir {
            if d == self.root || !d.starts_with(&self.root) || fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
    }

    /// Walk the folder of `dir_key` (`""` or ending with `/`), calling `f`
    /// with every key under it whose first segment below `dir_key` starts
    /// with `partial`. `f` returns false to stop; so does `walk`.
    fn walk(
        &self,
        dir_key: &str,
        partial: &str,
        f: &mut dyn FnMut(String, &Path) -> Result<bool, StoreError>,
    ) -> Result<bool, StoreError> {
        let dir = self.key_path(dir_key);
        let canonical = match fs::canonicalize(&dir) {
            Ok(c) => c,
            Err(e) if is_missing(&e) => return Ok(true),
            Err(e) => return Err(io_err(dir_key, e)),
        };
        let mut stack = vec![canonical];
        walk_dir(dir_key, &dir, partial, &mut stack, !self.read_only, f)
    }
}

/// Remove the reserved file `path` (named `name`) when its writer is gone:
/// a temporary file whose process no longer exists, or a lock file that
/// nobody holds (left by a killed process). Other programs (zarr-python's
/// `LocalStore.list()`) would list such files; this store never does.
/// Failures are ignored: the file is left for the next listing.
fn remove_if_stale(path: &Path, name: &str) {
    if let Some(rest) = name.strip_suffix(super::TEMP_SUFFIX) {
        // `.{name}.{pid}.{counter}.zarr-tmp`
        let mut parts = rest.rsplit('.');
        let (_counter, pid) = (parts.next(), parts.next());
        let Some(pid) = pid.and_then(|p| p.parse::<u32>().ok()) else {
            return;
        };
        if pid != std::process::id() && !process_exists(pid) {
            let _ = fs::remove_file(path);
        }
    } else if name.ends_with(super::LOCK_SUFFIX) {
        let Ok(file) = OpenOptions::new().read(true).write(true).open(path) else {
            return;
        };
        // Held: in use. Free and still the lock file: remove it while
        // holding it (waiters then find it replaced and retry).
        if file.try_lock().is_ok() && lock_file_current(&file, path) {
            let _ = fs::remove_file(path);
        }
    }
}

/// Whether process `pid` exists (on this machine).
#[cfg(unix)]
fn process_exists(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return true;
    }
    // SAFETY: signal 0 only checks that the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}
/// Unknown off Unix: assume it does.
#[cfg(not(unix))]
fn process_exists(_pid: u32) -> bool {
    true
}

/// Walk one folder; `stack` holds the canonical paths of the folders being
/// walked (the last is `dir`'s), so linked folders never loop.
fn walk_dir(
    dir_key: &str,
    dir: &Path,
    partial: &str,
    stack: &mut Vec<PathBuf>,
    clean: bool,
    f: &mut dyn FnMut(String, &Path) -> Result<bool, StoreError>,
) -> Result<bool, StoreError> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if is_missing(&e) => return Ok(true),
        Err(e) => return Err(io_err(dir_key, e)),
    };
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) if is_missing(&e) => continue,
            Err(e) => return Err(io_err(dir_key, e)),
        };
        let file_name = entry.file_name();
        let Some(name) = file_name.to_str() else {
            continue; // not UTF-8: not a key
        };
        if clean && super::is_temp_name(name) {
            remove_if_stale(&entry.path(), name);
            continue;
        }
        if !name.starts_with(partial) {
            continue;
        }
        let key = format!("{dir_key}{name}");
        if validate_key(&key).is_err() || check_platform_key(&key, &key).is_err() {
            continue; // temporary files and names no key can have
        }
        let path = entry.path();
        match entry_kind(&entry, &path).map_err(|e| io_err(&key, e))? {
            EntryKind::File => {
                if !f(key, &path)? {
                    return Ok(false);
                }
            }
            EntryKind::Dir { via_link } => {
                let canonical = if via_link {
                    match fs::canonicalize(&path) {
                        Ok(c) => c,
                        Err(e) if is_missing(&e) => continue,
                        Err(e) => return Err(io_err(&key, e)),
                    }
                } else {
                    match stack.last() {
                        Some(parent) => parent.join(name),
                        None => continue,
                    }
                };
                if stack.contains(&canonical) {
                    continue;
                }
                stack.push(canonical);
                let go_on = walk_dir(&format!("{key}/"), &path, "", stack, clean, f)?;
                stack.pop();
                if !go_on {
                    return Ok(false);
                }
            }
            EntryKind::Other => {}
        }
    }
    Ok(true)
}

/// Classify a folder entry, following a symbolic link (a dangling one, or
/// one that vanished, is `Other`).
fn entry_kind(entry: &fs::DirEntry, path: &Path) -> io::Result<EntryKind> {
    let ft = match entry.file_type() {
        Ok(ft) => ft,
        Err(e) if is_missing(&e) => return Ok(EntryKind::Other),
        Err(e) => return Err(e),
    };
    Ok(if ft.is_file() {
        EntryKind::File
    } else if ft.is_dir() {
        EntryKind::Dir { via_link: false }
    } else if ft.is_symlink() {
        match fs::metadata(path) {
            Ok(m) if m.is_file() => EntryKind::File,
            Ok(m) if m.is_dir() => EntryKind::Dir { via_link: true },
            Ok(_) => EntryKind::Other,
            Err(e) if is_missing(&e) => EntryKind::Other,
            Err(e) => return Err(e),
        }
    } else {
        EntryKind::Other
    })
}

fn io_err(key: &str, source: io::Error) -> StoreError {
    StoreError::Io {
        key: key.to_string(),
        source,
    }
}

/// Errors that mean "no such key": the file, or a folder above it, is
/// missing (or a folder above it is a file).
fn is_missing(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory)
}

/// `.{name}.{pid}.{counter}.zarr-tmp`, with `name` cut short so the result
/// stays well inside file-name length limits.
pub(super) fn temp_name(name: &str) -> String {
    format!(
        "{}{}.{}{}",
        temp_name_prefix(name),
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed),
        TEMP_SUFFIX
    )
}

/// The part of [`temp_name`] before the process id: `.{name}.`, `name` cut
/// short as there.
pub(super) fn temp_name_prefix(name: &str) -> String {
    let mut cut = name.len().min(48);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!(".{}.", &name[..cut])
}

/// `.{name}.zarr-lock`, with `name` cut short as in [`temp_name`] (two keys
/// sharing a lock file only serializes them more).
pub(super) fn lock_name(name: &str) -> String {
    let mut cut = name.len().min(64);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!(".{}{}", &name[..cut], LOCK_SUFFIX)
}

/// A held lock on the root folder itself (a node lock of the root).
#[derive(Debug)]
struct RootLock {
    _file: File,
}

/// A held key lock: the OS lock is released when the file is closed (or
/// its process dies).
#[derive(Debug)]
struct KeyLock {
    _file: File,
    path: PathBuf,
}

impl Drop for KeyLock {
    fn drop(&mut self) {
        // Remove the lock file while still holding the lock (waiters then
        // find it replaced and retry: see `lock_file_current`); the lock
        // itself goes with the file handle, right after.
        #[cfg(unix)]
        let _ = fs::remove_file(&self.path);
    }
}

/// True when the locked `file` is still the one at `path`.
#[cfg(unix)]
pub(super) fn lock_file_current(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}
/// Lock files are never removed off Unix, so the locked file is current.
#[cfg(not(unix))]
pub(super) fn lock_file_current(_file: &File, _path: &Path) -> bool {
    true
}

/// OS error numbers meaning "this file system has no hard links".
#[cfg(target_os = "linux")]
const NO_LINK_ERRNOS: &[i32] = &[31 /* EMLINK */, 95 /* EOPNOTSUPP */];
#[cfg(target_os = "macos")]
const NO_LINK_ERRNOS: &[i32] = &[
    31,  /* EMLINK */
    45,  /* ENOTSUP */
    102, /* EOPNOTSUPP */
];
#[cfg(windows)]
const NO_LINK_ERRNOS: &[i32] = &[
    1,  /* ERROR_INVALID_FUNCTION */
    50, /* ERROR_NOT_SUPPORTED */
];
#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
const NO_LINK_ERRNOS: &[i32] = &[];

fn hard_links_unsupported(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::Unsupported | ErrorKind::PermissionDenied
    ) || e
        .raw_os_error()
        .is_some_and(|n| NO_LINK_ERRNOS.contains(&n))
}

/// Keys Windows cannot store faithfully: `:` (alternate data streams),
/// trailing dots or spaces (silently dropped) and device names (`NUL`...).
#[cfg(windows)]
fn check_platform_key(key: &str, reported: &str) -> Result<(), StoreError> {
    let bad = |reason: &str| {
        Err(StoreError::InvalidKey {
            key: reported.to_string(),
            reason: reason.to_string(),
        })
    };
    for seg in key.split('/').filter(|s| !s.is_empty()) {
        if seg.contains(':') {
            return bad("':' is not allowed in file names on Windows");
        }
        if seg.ends_with('.') || seg.ends_with(' ') {
            return bad("names ending with '.' or ' ' are not allowed on Windows");
        }
        let stem = seg
            .split('.')
            .next()
            .unwrap_or("")
            .trim_end()
            .to_ascii_uppercase();
        let device = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
            || ((stem.starts_with("COM") || stem.starts_with("LPT"))
                && stem.len() == 4
                && matches!(stem.as_bytes()[3], b'1'..=b'9'));
        if device {
            return bad("Windows device names are not allowed");
        }
    }
    Ok(())
}

#[cfg(not(windows))]
fn check_platform_key(_key: &str, _reported: &str) -> Result<(), StoreError> {
    Ok(())
}

/// Open the file of `key` for reading with its length; `None` when there
/// is no such key (missing, or a folder).
fn open_value(key: &str, path: &Path) -> Result<Option<(File, u64)>, StoreError> {
    let mut options = OpenOptions::new();
    options.read(true);
    // A FIFO (or a device) must not block the open until a writer comes:
    // open without blocking, then refuse anything but a regular file. The
    // flag changes nothing for regular files.
    #[cfg(target_os = "linux")]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = match options.open(path) {
        Ok(f) => f,
        Err(e) if is_missing(&e) => return Ok(None),
        // Windows refuses to open folders.
        Err(_) if path.is_dir() => return Ok(None),
        Err(e) => return Err(io_err(key, e)),
    };
    let meta = file.metadata().map_err(|e| io_err(key, e))?;
    if meta.is_dir() {
        return Ok(None);
    }
    if !meta.is_file() {
        return Err(io_err(
            key,
            io::Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "{} is not a regular file (a FIFO, socket or device): refused",
                    path.display()
                ),
            ),
        ));
    }
    Ok(Some((file, meta.len())))
}

/// Read the requested bytes of an open file of `len` bytes. `at_start`:
/// the file position is 0 (no seek needed for a full read).
fn read_range(
    key: &str,
    file: &mut File,
    len: u64,
    range: Option<ByteRequest>,
    at_start: bool,
) -> Result<Vec<u8>, StoreError> {
    let io = |e| io_err(key, e);
    match range {
        None => {
            if !at_start {
                file.seek(SeekFrom::Start(0)).map_err(io)?;
            }
            let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
            crate::buffer::pages::advise_huge_pages(&out);
            file.read_to_end(&mut out).map_err(io)?;
            Ok(out)
        }
        Some(r) => {
            let rr = r.resolve(len);
            let n = usize::try_from(rr.end - rr.start).map_err(|_| {
                io(io::Error::new(
                    ErrorKind::OutOfMemory,
                    "byte range too large for memory",
                ))
            })?;
            let mut out = crate::buffer::pages::zeroed(n);
            if n > 0 {
                file.seek(SeekFrom::Start(rr.start)).map_err(io)?;
                file.read_exact(&mut out).map_err(io)?;
            }
            Ok(out)
        }
    }
}

impl Store for LocalStore {
    fn location(&self) -> Option<super::StoreLocation> {
        Some(super::StoreLocation::folder(&self.root))
    }
    fn lock_node(&self, path: &str) -> Result<Option<super::NodeLock>, StoreError> {
        if self.read_only {
            return Ok(None);
        }
        self.node_lock(path).map(Some)
    }
    fn get(
        &self,
        key: &str,
        prototype: &BufferPrototype,
        range: Option<ByteRequest>,
    ) -> Result<Option<Buffer>, StoreError> {
        Self::check_key(key)?;
        if key.is_empty() {
            return Ok(None);
        }
        let Some((mut file, len)) = open_value(key, &self.key_path(key))? else {
            return Ok(None);
        };
        let bytes = read_range(key, &mut file, len, range, true)?;
        Ok(Some(prototype.buffer_from_vec(bytes)))
    }

    fn get_partial_values(
        &self,
        prototype: &BufferPrototype,
        requests: &[(String, Option<ByteRequest>)],
    ) -> Result<Vec<Option<Buffer>>, StoreError> {
        for (key, _) in requests {
            Self::check_key(key)?;
        }
        // Serve the requests key by key, opening each file once (and having
        // one open at a time).
        let mut order: Vec<usize> = (0..requests.len()).collect();
        order.sort_by(|&a, &b| requests[a].0.cmp(&requests[b].0));
        let mut out: Vec<Option<Buffer>> = (0..requests.len()).map(|_| None).collect();
        let mut i = 0;
        while i < order.len() {
            let key = requests[order[i]].0.as_str();
            let mut j = i + 1;
            while j < order.len() && requests[order[j]].0 == key {
                j += 1;
            }
            let opened = if key.is_empty() {
                None
            } else {
                open_value(key, &self.key_path(key))?
            };
            if let Some((mut file, len)) = opened {
                for (n, &idx) in order[i..j].iter().enumerate() {
                    let bytes = read_range(key, &mut file, len, requests[idx].1, n == 0)?;
                    out[idx] = Some(prototype.buffer_from_vec(bytes));
                }
            }
            i = j;
        }
        Ok(out)
    }

    fn set(&self, key: &str, value: Buffer) -> Result<(), StoreError> {
        self.check_writable("set", key)?;
        let path = self.key_path(key);
        self.check_no_escape(key, parent_segments(key))?;
        let tmp = self.write_temp(key, &path, &value)?;
        if let Err(e) = fs::rename(&tmp, &path) {
            let _ = fs::remove_file(&tmp);
            return Err(io_err(key, e));
        }
        Ok(())
    }

    fn set_if_not_exists(&self, key: &str, value: Buffer) -> Result<bool, StoreError> {
        self.check_writable("set", key)?;
        let path = self.key_path(key);
        self.check_no_escape(key, parent_segments(key))?;
        let tmp = self.write_temp(key, &path, &value)?;
        let linked = fs::hard_link(&tmp, &path);
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => existing_value(key, &path),
            Err(e) if hard_links_unsupported(&e) => {
                match OpenOptions::new().write(true).create_new(true).open(&path) {
                    Ok(file) => {
                        self.fill_new_file(key, file, &path, &value)?;
                        Ok(true)
                    }
                    Err(e) if e.kind() == ErrorKind::AlreadyExists => existing_value(key, &path),
                    Err(e) => Err(io_err(key, e)),
                }
            }
            Err(e) => Err(io_err(key, e)),
        }
    }

    fn set_if_unchanged(
        &self,
        key: &str,
        expected: Expected<'_>,
        value: Option<Buffer>,
    ) -> Result<bool, StoreError> {
        self.check_writable("set", key)?;
        let path = self.key_path(key);
        self.check_no_escape(key, parent_segments(key))?;
        // Write the new value before taking the lock: it holds the lock less.
        let tmp = match &value {
            Some(v) => Some(self.write_temp(key, &path, v)?),
            None => None,
        };
        let remove_tmp = |tmp: &Option<PathBuf>| {
            if let Some(t) = tmp {
                let _ = fs::remove_file(t);
            }
        };
        let lock = match self.lock_key(key, &path) {
            Ok(l) => l,
            Err(e) => {
                remove_tmp(&tmp);
                return Err(e);
            }
        };
        let unchanged = match expected {
            Expected::Any => Ok(true),
            _ => match open_value(key, &path) {
                Ok(None) => Ok(expected.matches(None)),
                Ok(Some((mut file, len))) => match expected {
                    Expected::Bytes(b) if b.len() as u64 == len => {
                        read_range(key, &mut file, len, None, true).map(|cur| cur == b)
                    }
                    _ => Ok(false),
                },
                Err(e) => Err(e),
            },
        };
        let done = match unchanged {
            Ok(true) => match &tmp {
                Some(t) => fs::rename(t, &path).map_err(|e| io_err(key, e)),
                None => match fs::remove_file(&path) {
                    Err(e) if !is_missing(&e) => Err(io_err(key, e)),
                    _ => Ok(()),
                },
            },
            Ok(false) => {
                drop(lock);
                remove_tmp(&tmp);
                return Ok(false);
            }
            Err(e) => Err(e),
        };
        drop(lock);
        if let Err(e) = done {
            remove_tmp(&tmp);
            return Err(e);
        }
        if value.is_none() {
            self.remove_empty_parents(&path);
        }
        Ok(true)
    }

    fn supports_conditional_writes(&self) -> bool {
        !self.read_only
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.check_writable("delete", key)?;
        let path = self.key_path(key);
        self.check_no_escape(key, parent_segments(key))?;
        match fs::remove_file(&path) {
            Ok(()) => {
                self.remove_empty_parents(&path);
                Ok(())
            }
            Err(e) if is_missing(&e) => Ok(()),
            Err(e) => match fs::symlink_metadata(&path) {
                // A folder is not a key: deleting a missing key is fine.
                Ok(m) if m.is_dir() => Ok(()),
                _ => Err(io_err(key, e)),
            },
        }
    }

    fn delete_dir(&self, prefix: &str) -> Result<(), StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly {
                operation: "delete",
                key: prefix.to_string(),
            });
        }
        let p = dir_prefix(prefix)?;
        check_platform_key(&p, prefix)?;
        if p.is_empty() {
            let entries = match fs::read_dir(&self.root) {
                Ok(e) => e,
                Err(e) if is_missing(&e) => return Ok(()),
                Err(e) => return Err(io_err(prefix, e)),
            };
            for entry in entries {
                let entry = entry.map_err(|e| io_err(prefix, e))?;
                let path = entry.path();
                let removed = match entry.file_type() {
                    Ok(ft) if ft.is_dir() => fs::remove_dir_all(&path),
                    Ok(_) => fs::remove_file(&path),
                    Err(e) => Err(e),
                };
                match removed {
                    Ok(()) => {}
                    Err(e) if is_missing(&e) => {}
                    Err(e) => return Err(io_err(prefix, e)),
                }
            }
            return Ok(());
        }
        let dir_key = &p[..p.len() - 1];
        let path = self.key_path(dir_key);
        self.check_no_escape(prefix, dir_key.split('/'))?;
        let removed = match fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => fs::remove_dir_all(&path),
            // A link to a folder inside the root: unlink it, keep the target.
            Ok(m) if m.file_type().is_symlink() && path.is_dir() => fs::remove_file(&path),
            // A file (or a link to one): there are no keys below it.
            Ok(_) => return Ok(()),
            Err(e) => Err(e),
        };
        match removed {
            Ok(()) => {}
            Err(e) if is_missing(&e) => return Ok(()),
            Err(e) => return Err(io_err(prefix, e)),
        }
        self.remove_empty_parents(&path);
        Ok(())
    }

    fn list_prefix(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        validate_prefix(prefix)?;
        let (dir_key, partial) = match prefix.rfind('/') {
            Some(i) => prefix.split_at(i + 1),
            None => ("", prefix),
        };
        check_platform_key(dir_key, prefix)?;
        let mut out = Vec::new();
        self.walk(dir_key, partial, &mut |key, _| {
            out.push(key);
            Ok(true)
        })?;
        out.sort_unstable();
        Ok(out)
    }

    fn list_dir(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let p = dir_prefix(prefix)?;
        check_platform_key(&p, prefix)?;
        let entries = match fs::read_dir(self.key_path(&p)) {
            Ok(e) => e,
            Err(e) if is_missing(&e) => return Ok(Vec::new()),
            Err(e) => return Err(io_err(prefix, e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = match entry {
                Ok(e) => e,
                Err(e) if is_missing(&e) => continue,
                Err(e) => return Err(io_err(prefix, e)),
            };
            let file_name = entry.file_name();
            let Some(name) = file_name.to_str() else {
                continue;
            };
            if !self.read_only && super::is_temp_name(name) {
                remove_if_stale(&entry.path(), name);
                continue;
            }
            let key = format!("{p}{name}");
            if validate_key(&key).is_err() || check_platform_key(&key, &key).is_err() {
                continue;
            }
            match entry_kind(&entry, &entry.path()).map_err(|e| io_err(&key, e))? {
                EntryKind::File | EntryKind::Dir { .. } => out.push(name.to_string()),
                EntryKind::Other => {}
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        Self::check_key(key)?;
        if key.is_empty() {
            return Ok(false);
        }
        match fs::metadata(self.key_path(key)) {
            Ok(m) => Ok(m.is_file()),
            Err(e) if is_missing(&e) => Ok(false),
            Err(e) => Err(io_err(key, e)),
        }
    }

    fn getsize(&self, key: &str) -> Result<u64, StoreError> {
        Self::check_key(key)?;
        let not_found = || StoreError::NotFound {
            key: key.to_string(),
        };
        if key.is_empty() {
            return Err(not_found());
        }
        match fs::metadata(self.key_path(key)) {
            Ok(m) if m.is_file() => Ok(m.len()),
            Ok(_) => Err(not_found()),
            Err(e) if is_missing(&e) => Err(not_found()),
            Err(e) => Err(io_err(key, e)),
        }
    }

    fn getsize_prefix(&self, prefix: &str) -> Result<u64, StoreError> {
        validate_prefix(prefix)?;
        let (dir_key, partial) = match prefix.rfind('/') {
            Some(i) => prefix.split_at(i + 1),
            None => ("", prefix),
        };
        check_platform_key(dir_key, prefix)?;
        let mut total = 0u64;
        self.walk(dir_key, partial, &mut |key, path| {
            match fs::metadata(path) {
                Ok(m) => total += m.len(),
                Err(e) if is_missing(&e) => {} // deleted meanwhile
                Err(e) => return Err(io_err(&key, e)),
            }
            Ok(true)
        })?;
        Ok(total)
    }

    fn is_empty(&self, prefix: &str) -> Result<bool, StoreError> {
        let p = dir_prefix(prefix)?;
        check_platform_key(&p, prefix)?;
        self.walk(&p, "", &mut |_, _| Ok(false))
    }

    fn read_only(&self) -> bool {
        self.read_only
    }
}

/// The folder segments above a (non-empty, valid) key.
fn parent_segments(key: &str) -> impl Iterator<Item = &str> {
    let parent = key.rfind('/').map_or("", |i| &key[..i]);
    parent.split('/').filter(|s| !s.is_empty())
}

/// `set_if_not_exists` found something at the key: a value (Ok(false)), or
/// a folder (an error, as `set` would give).
fn existing_value(key: &str, path: &Path) -> Result<bool, StoreError> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => Err(io_err(
            key,
            io::Error::new(
                ErrorKind::IsADirectory,
                format!("{} is a folder", path.display()),
            ),
        )),
        // A value, or one deleted since: either way the key existed.
        Ok(_) | Err(_) => Ok(false),
    }
}
