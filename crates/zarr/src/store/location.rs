//! [`StoreLocation`]: where a store keeps its data, so that two store
//! objects (or two spellings of one URL: `S`, `file://S`, `S/.`, a symbolic
//! link to `S`) over the same storage are recognised as one.
//!
//! Copies and conversions compare the locations of their source and
//! destination before they write anything: a copy of a subtree onto itself
//! or into itself would otherwise delete its own source.

use super::StoreRef;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// The storage a store (or a path inside it) names.
///
/// ```
/// use zarr::store::StoreLocation;
/// let dir = tempfile::tempdir().unwrap();
/// let a = StoreLocation::folder(dir.path());
/// let b = StoreLocation::folder(&dir.path().join("sub/../."));
/// assert_eq!(a, b);
/// assert!(a.join("x").overlaps(&b.join("x/y")));
/// assert!(!a.join("x").overlaps(&b.join("xy")));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreLocation {
    /// A folder (or a file) of the local file system: the canonical path,
    /// every symbolic link of its existing part resolved.
    File(PathBuf),
    /// The keys under `prefix` (`""`: all of them) of a zip archive at a
    /// canonical path.
    Zip {
        /// The archive's canonical path.
        archive: PathBuf,
        /// The key prefix (no slashes at either end).
        prefix: String,
    },
    /// The keys under `prefix` of an object-storage bucket (`service` is
    /// the backend and bucket, such as `s3://bucket`).
    Object {
        /// The backend and bucket.
        service: String,
        /// The key prefix (no slashes at either end).
        prefix: String,
    },
    /// The keys under `prefix` of one in-memory store (`id` tells stores
    /// apart while they live).
    Memory {
        /// The store's identity.
        id: usize,
        /// The key prefix (no slashes at either end).
        prefix: String,
    },
}

/// The canonical form of `path`: the longest existing ancestor canonicalised
/// (links resolved), the rest appended with `.` dropped and `..` applied.
fn canonical(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        match std::env::current_dir() {
            Ok(d) => d.join(path),
            Err(_) => path.to_path_buf(),
        }
    };
    let mut rest: Vec<Component<'_>> = Vec::new();
    let mut existing = absolute.as_path();
    let base = loop {
        if let Ok(c) = std::fs::canonicalize(existing) {
            break c;
        }
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(last)) => {
                rest.push(last);
                existing = parent;
            }
            _ => break PathBuf::from("/"),
        }
    };
    let mut out = base;
    for c in rest.into_iter().rev() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `prefix` joined with `path` (both `/`-separated keys, possibly empty).
fn join_keys(prefix: &str, path: &str) -> String {
    let path = path.trim_matches('/');
    match (prefix.is_empty(), path.is_empty()) {
        (_, true) => prefix.to_string(),
        (true, false) => path.to_string(),
        (false, false) => format!("{prefix}/{path}"),
    }
}

/// True when key prefix `a` contains `b` or `b` contains `a`.
fn keys_nest(a: &str, b: &str) -> bool {
    let inside = |a: &str, b: &str| {
        a.is_empty() || a == b || (b.starts_with(a) && b.as_bytes().get(a.len()) == Some(&b'/'))
    };
    inside(a, b) || inside(b, a)
}

impl StoreLocation {
    /// A folder of the local file system (it need not exist yet).
    pub fn folder(path: &Path) -> Self {
        StoreLocation::File(canonical(path))
    }

    /// The keys under `prefix` of the zip archive at `path`.
    pub fn zip(path: &Path, prefix: &str) -> Self {
        StoreLocation::Zip {
            archive: canonical(path),
            prefix: prefix.trim_matches('/').to_string(),
        }
    }

    /// The location of the key or directory `path` inside this location.
    pub fn join(&self, path: &str) -> Self {
        match self {
            StoreLocation::File(p) => {
                let mut p = p.clone();
                for segment in path.split('/').filter(|s| !s.is_empty() && *s != ".") {
                    if segment == ".." {
                        p.pop();
                    } else {
                        p.push(segment);
                    }
                }
                StoreLocation::File(p)
            }
            StoreLocation::Zip { archive, prefix } => StoreLocation::Zip {
                archive: archive.clone(),
                prefix: join_keys(prefix, path),
            },
            StoreLocation::Object { service, prefix } => StoreLocation::Object {
                service: service.clone(),
                prefix: join_keys(prefix, path),
            },
            StoreLocation::Memory { id, prefix } => StoreLocation::Memory {
                id: *id,
                prefix: join_keys(prefix, path),
            },
        }
    }

    /// True when the two locations share storage: one is the other or lies
    /// inside it (a zip archive lies inside the folders above its file).
    pub fn overlaps(&self, other: &StoreLocation) -> bool {
        use StoreLocation::*;
        match (self, other) {
            (File(a), File(b)) => a.starts_with(b) || b.starts_with(a),
            (File(f), Zip { archive, .. }) | (Zip { archive, .. }, File(f)) => {
                archive.starts_with(f)
            }
            (
                Zip {
                    archive: a,
                    prefix: p,
                },
                Zip {
                    archive: b,
                    prefix: q,
                },
            ) => a == b && keys_nest(p, q),
            (
                Object {
                    service: a,
                    prefix: p,
                },
                Object {
                    service: b,
                    prefix: q,
                },
            ) => a == b && keys_nest(p, q),
            (Memory { id: a, prefix: p }, Memory { id: b, prefix: q }) => a == b && keys_nest(p, q),
            _ => false,
        }
    }
}

impl std::fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreLocation::File(p) => write!(f, "{}", p.display()),
            StoreLocation::Zip { archive, prefix } => {
                write!(f, "zip://{}", archive.display())?;
                if !prefix.is_empty() {
                    write!(f, " (keys under {prefix}/)")?;
                }
                Ok(())
            }
            StoreLocation::Object { service, prefix } => write!(f, "{service}/{prefix}"),
            StoreLocation::Memory { id, prefix } => write!(f, "memory://{id:x}/{prefix}"),
        }
    }
}

/// How the paths `src_path` of `src` and `dst_path` of `dst` relate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Overlap {
    /// Independent storage.
    None,
    /// The same storage (the same node of the same store).
    Same,
    /// One lies inside the other.
    Nested,
}

/// How two (store, path) pairs relate: by [`Store::location`](super::Store::location) when both
/// stores tell theirs, otherwise by store object identity. Paths are
/// normalised keys (`""` is the root).
pub(crate) fn overlap(src: &StoreRef, src_path: &str, dst: &StoreRef, dst_path: &str) -> Overlap {
    let (a, b) = match (src.location(), dst.location()) {
        (Some(a), Some(b)) => (a.join(src_path), b.join(dst_path)),
        _ if std::ptr::addr_eq(Arc::as_ptr(src), Arc::as_ptr(dst)) => {
            let m = StoreLocation::Memory {
                id: 0,
                prefix: String::new(),
            };
            (m.join(src_path), m.join(dst_path))
        }
        _ => return Overlap::None,
    };
    if a == b {
        Overlap::Same
    } else if a.overlaps(&b) {
        Overlap::Nested
    } else {
        Overlap::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_folder_are_one_location() {
        let dir = tempfile::tempdir().unwrap();
        let s = dir.path().join("S");
        std::fs::create_dir(&s).unwrap();
        let link = dir.path().join("L");
        std::os::unix::fs::symlink(&s, &link).unwrap();
        let a = StoreLocation::folder(&s);
        for other in [
            s.join("."),
            s.join("../S"),
            link.clone(),
            PathBuf::from(format!("{}//S", dir.path().display())),
        ] {
            assert_eq!(StoreLocation::folder(&other), a, "{}", other.display());
        }
        // Not created yet: still canonical below the existing part.
        let new = StoreLocation::folder(&link.join("new/./x/../y"));
        assert_eq!(new, StoreLocation::File(a_path(&a).join("new/y")));
    }

    fn a_path(l: &StoreLocation) -> PathBuf {
        match l {
            StoreLocation::File(p) => p.clone(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn overlap_rules() {
        let dir = tempfile::tempdir().unwrap();
        let f = StoreLocation::folder(dir.path());
        assert!(f.join("a").overlaps(&f.join("a/b")));
        assert!(f.overlaps(&f.join("a")));
        assert!(!f.join("a").overlaps(&f.join("b")));
        assert!(!f.join("a").overlaps(&f.join("ab")));
        let z = StoreLocation::zip(&dir.path().join("a/x.zip"), "");
        assert!(z.overlaps(&f.join("a")));
        assert!(!z.overlaps(&f.join("b")));
        assert!(z.join("g").overlaps(&z.join("g/h")));
        assert!(!z.join("g").overlaps(&z.join("h")));
        let m = StoreLocation::Memory {
            id: 1,
            prefix: String::new(),
        };
        let n = StoreLocation::Memory {
            id: 2,
            prefix: String::new(),
        };
        assert!(m.overlaps(&m.join("a")) && !m.overlaps(&n));
        let o = StoreLocation::Object {
            service: "s3://b".into(),
            prefix: "p".into(),
        };
        assert!(o.overlaps(&o.join("q")));
        assert!(!o.overlaps(&f));
    }
}
