//! Large allocations backed by transparent huge pages.
//!
//! Reading a whole array touches every page of its output (and of each
//! fetched shard) once. With 4 KiB pages that is one page fault per 4 KiB,
//! and on Linux, where transparent huge pages are commonly enabled only for
//! memory that asks for them (`madvise` mode), those faults cost about as
//! much CPU time as decoding zstd level 0. Asking for huge pages on large
//! buffers before they are first touched turns 512 faults into one. The
//! request is advisory: where it is not supported nothing changes.

/// Buffers smaller than this are left alone (one huge page is 2 MiB).
const MIN_LEN: usize = 4 << 20;

/// The huge page size assumed for alignment (x86-64 and aarch64 with 4 KiB pages).
#[cfg(target_os = "linux")]
const HUGE_PAGE: usize = 2 << 20;

/// Advise the OS to back the memory of `v` (its whole capacity) with
/// transparent huge pages. Call it right after allocating, before the
/// memory is written; it never changes the contents.
pub(crate) fn advise_huge_pages<T>(v: &Vec<T>) {
    let len = v.capacity().saturating_mul(std::mem::size_of::<T>());
    if len < MIN_LEN {
        return;
    }
    advise(v.as_ptr().cast::<u8>(), len);
}

#[cfg(target_os = "linux")]
fn advise(ptr: *const u8, len: usize) {
    let start = (ptr as usize).next_multiple_of(HUGE_PAGE);
    let end = (ptr as usize + len) / HUGE_PAGE * HUGE_PAGE;
    if end <= start {
        return;
    }
    // SAFETY: [start, end) lies inside one live allocation that the caller
    // owns; MADV_HUGEPAGE only changes how the kernel backs those pages,
    // never their contents, and failure is harmless (the advice is ignored).
    unsafe {
        libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
fn advise(_ptr: *const u8, _len: usize) {}

/// A zero-filled `Vec<u8>` of `n` bytes, huge-page backed when large.
pub(crate) fn zeroed(n: usize) -> Vec<u8> {
    let v = vec![0u8; n];
    advise_huge_pages(&v);
    v
}

/// A zero-filled `Vec<u8>` of `n` bytes like [`zeroed`], or `None` when the
/// memory cannot be allocated (instead of aborting the process).
pub(crate) fn try_zeroed(n: usize) -> Option<Vec<u8>> {
    // SAFETY: all-zero bytes are valid u8 values.
    unsafe { try_zeroed_elements::<u8>(n) }
}

/// A `Vec<T>` of `n` all-zero elements, huge-page backed when large, or
/// `None` when it cannot be allocated. Zeroed memory comes from the
/// allocator's zeroed path (fresh pages on Linux), so this costs no pass
/// over the memory.
///
/// # Safety
/// The all-zero bit pattern must be a valid `T` (plain numbers, `bool`,
/// half floats, complex numbers).
pub(crate) unsafe fn try_zeroed_elements<T>(n: usize) -> Option<Vec<T>> {
    let layout = std::alloc::Layout::array::<T>(n).ok()?;
    if layout.size() == 0 {
        return Some((0..n).map(|_| unsafe { std::mem::zeroed() }).collect());
    }
    // SAFETY: the layout has a non-zero size.
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<T>();
    if ptr.is_null() {
        return None;
    }
    // SAFETY: ptr was allocated by the global allocator with the layout of
    // [T; n], holds n initialised (zero, valid per the caller) elements.
    let v = unsafe { Vec::from_raw_parts(ptr, n, n) };
    advise_huge_pages(&v);
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroed_buffers_are_zero_whatever_the_advice() {
        for n in [0, 10, MIN_LEN - 1, MIN_LEN + 4097] {
            let v = zeroed(n);
            assert_eq!(v.len(), n);
            assert!(v.iter().all(|&b| b == 0));
        }
        let mut v: Vec<u16> = Vec::with_capacity(3 << 20);
        advise_huge_pages(&v);
        v.extend(0..1000u16);
        assert_eq!(v[999], 999);
    }
}
