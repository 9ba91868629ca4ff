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
}
