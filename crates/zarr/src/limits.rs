//! Resource limits on what a store's contents can make this library
//! allocate, checked before the allocation.
//!
//! Every limit has a documented default and an environment variable that
//! overrides it (read once per process, a byte count in decimal):
//!
//! | limit | default | variable |
//! | --- | --- | --- |
//! | [`max_chunk_bytes`]: decoded size of one chunk (an inner chunk of a shard; whole shards are read in parts and are exempt) | the machine's physical memory | `ZARR_RS_MAX_CHUNK_BYTES` |
//! | [`max_metadata_bytes`]: size of one metadata document (`zarr.json`, `.zarray`, `.zattrs`, `.zgroup`, `.zmetadata`) | 256 MiB | `ZARR_RS_MAX_METADATA_BYTES` |
//! | [`max_name_bytes`]: length of one node name (a path segment) in consolidated metadata | 1024 bytes | `ZARR_RS_MAX_NAME_BYTES` |
//! | [`max_depth`]: nesting of a node path (its number of segments) in consolidated metadata | 256 | `ZARR_RS_MAX_DEPTH` |
//!
//! Every JSON document is also bounded in nesting: the parser refuses one
//! nested deeper than 128 levels. A [`crate::store::ZipStore`] bounds what
//! one entry may inflate to ([`crate::store::ZipStore::with_max_inflated_size`]).
//!
//! Sizes that come from metadata are computed with checked arithmetic
//! ([`checked_product`]); an array whose element count or byte size does
//! not fit in a `u64` cannot be opened or created.

use std::sync::OnceLock;

/// The default [`max_metadata_bytes`]: 256 MiB (zarr-python's largest
/// consolidated documents hold many thousands of arrays in a few MiB).
pub const DEFAULT_MAX_METADATA_BYTES: u64 = 256 << 20;

/// The physical memory of the machine in bytes (16 GiB where it cannot be
/// read).
fn physical_memory() -> u64 {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: sysconf has no preconditions; it returns -1 on error.
        let (pages, size) = unsafe {
            (
                libc::sysconf(libc::_SC_PHYS_PAGES),
                libc::sysconf(libc::_SC_PAGESIZE),
            )
        };
        if pages > 0 && size > 0 {
            return (pages as u64).saturating_mul(size as u64);
        }
    }
    16 << 30
}

fn from_env(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.trim().parse().ok()
}

/// The largest decoded chunk (in bytes) that a codec chain accepts: a
/// chunk that cannot be held in memory cannot be decoded, so an array
/// whose chunks are larger is refused when it is opened, with an error
/// that names it, instead of failing an allocation mid-read. Default: the
/// machine's physical memory; `ZARR_RS_MAX_CHUNK_BYTES` overrides it.
pub fn max_chunk_bytes() -> u64 {
    static V: OnceLock<u64> = OnceLock::new();
    *V.get_or_init(|| from_env("ZARR_RS_MAX_CHUNK_BYTES").unwrap_or_else(physical_memory))
}

/// The largest metadata document (in bytes) that is read: a longer one is
/// refused by name before it is read whole. Default
/// [`DEFAULT_MAX_METADATA_BYTES`]; `ZARR_RS_MAX_METADATA_BYTES` overrides it.
pub fn max_metadata_bytes() -> u64 {
    static V: OnceLock<u64> = OnceLock::new();
    *V.get_or_init(|| from_env("ZARR_RS_MAX_METADATA_BYTES").unwrap_or(DEFAULT_MAX_METADATA_BYTES))
}

/// The longest node name (one segment of a path, in bytes) that
/// consolidated metadata may hold: no file system or object store has
/// longer names. Default 1024; `ZARR_RS_MAX_NAME_BYTES` overrides it.
pub fn max_name_bytes() -> usize {
    static V: OnceLock<u64> = OnceLock::new();
    let v = *V.get_or_init(|| from_env("ZARR_RS_MAX_NAME_BYTES").unwrap_or(1024));
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// The deepest node path (in segments) that consolidated metadata may
/// hold. Default 256; `ZARR_RS_MAX_DEPTH` overrides it.
pub fn max_depth() -> usize {
    static V: OnceLock<u64> = OnceLock::new();
    let v = *V.get_or_init(|| from_env("ZARR_RS_MAX_DEPTH").unwrap_or(256));
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// Check a node path read from a document (a member of consolidated
/// metadata): not empty, a valid store key ([`crate::store::validate_key`]),
/// and within [`max_name_bytes`] and [`max_depth`]. The error says why.
pub(crate) fn check_node_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("a member has an empty name".into());
    }
    crate::store::validate_key(path).map_err(|e| e.to_string())?;
    let depth = path.split('/').count();
    if depth > max_depth() {
        return Err(format!(
            "member path nested {depth} levels deep, more than the limit of {} (ZARR_RS_MAX_DEPTH)",
            max_depth()
        ));
    }
    if let Some(long) = path.split('/').find(|s| s.len() > max_name_bytes()) {
        return Err(format!(
            "member name of {} bytes (starting {:?}), longer than the limit of {} (ZARR_RS_MAX_NAME_BYTES)",
            long.len(),
            long.chars().take(16).collect::<String>(),
            max_name_bytes()
        ));
    }
    Ok(())
}

/// The product of `factors`, or `None` when it overflows a `u64`.
///
/// ```
/// assert_eq!(zarr::limits::checked_product(&[3, 4, 5]), Some(60));
/// assert_eq!(zarr::limits::checked_product(&[1 << 40, 1 << 40]), None);
/// assert_eq!(zarr::limits::checked_product(&[]), Some(1));
/// ```
pub fn checked_product(factors: &[u64]) -> Option<u64> {
    factors.iter().try_fold(1u64, |acc, &f| acc.checked_mul(f))
}

/// The byte size of `elements` elements of `element_size` bytes, when it
/// fits in a `usize` (and so can be one allocation).
pub fn byte_len(elements: u64, element_size: usize) -> Option<usize> {
    let n = elements.checked_mul(element_size as u64)?;
    usize::try_from(n)
        .ok()
        .filter(|&n| n <= isize::MAX as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_sane() {
        assert!(max_chunk_bytes() >= 1 << 20);
        assert!(max_metadata_bytes() >= 1 << 20);
        assert_eq!(byte_len(u64::MAX, 2), None);
        assert_eq!(byte_len(1 << 62, 2), None);
        assert_eq!(byte_len(10, 8), Some(80));
        assert_eq!(checked_product(&[u64::MAX, 2]), None);
        assert_eq!(checked_product(&[u64::MAX, 0]), Some(0));
        assert_eq!(checked_product(&[0, u64::MAX]), Some(0));
    }

    #[test]
    fn node_paths_from_documents_are_checked() {
        assert!(check_node_path("a/b").is_ok());
        for bad in ["", "a//b", "..", "a/../b", "a/.", "a\\b"] {
            assert!(check_node_path(bad).is_err(), "{bad:?}");
        }
        let deep = vec!["a"; max_depth() + 1].join("/");
        assert!(check_node_path(&deep)
            .unwrap_err()
            .contains("ZARR_RS_MAX_DEPTH"));
        let long = "x".repeat(max_name_bytes() + 1);
        assert!(check_node_path(&long)
            .unwrap_err()
            .contains("ZARR_RS_MAX_NAME_BYTES"));
    }
}
