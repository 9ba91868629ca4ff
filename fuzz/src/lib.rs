//! Shared pieces of the fuzz targets: a counting global allocator that
//! aborts (a crash libFuzzer records, with its input) when the live heap or a
//! single allocation exceeds the bound a target states, and small helpers.
//!
//! The bound covers allocations made through Rust's global allocator (all of
//! the library's Rust code). Allocations made by C code (blosc, zstd, lzma)
//! go straight to `malloc`; `scripts/fuzz.sh` bounds those with libFuzzer's
//! `-malloc_limit_mb` and `-rss_limit_mb`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One MiB.
pub const MIB: usize = 1 << 20;

/// The global allocator of every target: [`System`], counting live bytes.
pub struct Limited;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static LIMIT: AtomicUsize = AtomicUsize::new(usize::MAX);

#[global_allocator]
static GLOBAL: Limited = Limited;

/// Set the bound on live heap bytes (checked on every allocation; one
/// allocation larger than the bound fails it too).
///
/// The first call also lifts the bound while a panic is reported (printing
/// a backtrace allocates), so that a panic shows as itself.
pub fn set_limit(bytes: usize) {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            LIMIT.store(usize::MAX, Ordering::Relaxed);
            previous(info);
        }));
    });
    LIMIT.store(bytes, Ordering::Relaxed);
}

/// Live heap bytes now.
pub fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

#[cold]
fn over_limit(size: usize, live: usize) -> ! {
    // No allocation here: format the numbers on the stack.
    fn num(mut n: usize, buf: &mut [u8; 20]) -> &[u8] {
        let mut i = buf.len();
        loop {
            i -= 1;
            buf[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        &buf[i..]
    }
    let (mut a, mut b, mut c) = ([0u8; 20], [0u8; 20], [0u8; 20]);
    let mut e = std::io::stderr().lock();
    let _ = e.write_all(b"\n==zarr-fuzz== allocation of ");
    let _ = e.write_all(num(size, &mut a));
    let _ = e.write_all(b" bytes with ");
    let _ = e.write_all(num(live, &mut b));
    let _ = e.write_all(b" live exceeds the bound of ");
    let _ = e.write_all(num(LIMIT.load(Ordering::Relaxed), &mut c));
    let _ = e.write_all(b" bytes\n");
    std::process::abort()
}

#[inline]
fn account(size: usize) {
    let before = LIVE.fetch_add(size, Ordering::Relaxed);
    let limit = LIMIT.load(Ordering::Relaxed);
    if size > limit || before.saturating_add(size) > limit {
        over_limit(size, before);
    }
}

// SAFETY: every method forwards to `System` with the same arguments; the
// counters do not affect the memory handed out.
unsafe impl GlobalAlloc for Limited {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        account(layout.size());
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        account(layout.size());
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            account(new_size - layout.size());
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// A little reader over the fuzz input for targets that take a few choices
/// before the payload.
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// Wrap the fuzz input.
    pub fn new(data: &'a [u8]) -> Self {
        Input { data }
    }
    /// The next byte (0 when the input is used up).
    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }
    /// The next little-endian `u64` (zero-padded).
    pub fn u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        let n = self.data.len().min(8);
        b[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        u64::from_le_bytes(b)
    }
    /// What is left.
    pub fn rest(self) -> &'a [u8] {
        self.data
    }
}

pub mod cases;

use zarr::codec::{ArrayBytes, ChunkSpec, CodecChain};

/// Check a decoded chunk against its spec: a fixed-size chunk has exactly
/// `spec.fixed_size()` bytes; a variable-length one has one element per
/// chunk element, offsets rising from 0 to the data length, and valid UTF-8
/// elements for `string`.
pub fn check_decoded(decoded: &ArrayBytes, spec: &ChunkSpec) {
    let n = spec.num_elements() as usize;
    match (decoded, spec.fixed_size()) {
        (ArrayBytes::Fixed(v), Some(size)) => {
            assert_eq!(v.len() as u64, size, "decoded chunk has the wrong size");
        }
        (ArrayBytes::Variable(v), None) => {
            assert_eq!(v.len(), n, "decoded chunk has the wrong element count");
            assert_eq!(v.offsets.first(), Some(&0));
            assert_eq!(v.offsets.last(), Some(&v.data.len()));
            assert!(
                v.offsets.windows(2).all(|w| w[0] <= w[1]),
                "offsets go down"
            );
            if spec.data_type == zarr::dtype::DataType::String {
                for i in 0..n {
                    assert!(
                        std::str::from_utf8(v.get(i)).is_ok(),
                        "element {i} is not UTF-8"
                    );
                }
            }
        }
        _ => panic!("decoded chunk is not of the spec's kind: {decoded:?} for {spec:?}"),
    }
}

/// Decode `encoded` with `chain` for `spec` and check what comes out: the
/// decode errors or gives a chunk of the spec's size ([`check_decoded`]);
/// for a fixed-size spec `decode_into` agrees with `decode`; and, when
/// `lossless`, encoding the decoded chunk and decoding it again gives it back.
pub fn check_chain(chain: &CodecChain, spec: &ChunkSpec, encoded: &[u8], lossless: bool) {
    let decoded = chain.decode(encoded, spec);
    if let Ok(d) = &decoded {
        check_decoded(d, spec);
    }
    if let Some(size) = spec.fixed_size() {
        let mut out = vec![0u8; size as usize];
        let into = chain.decode_into(encoded, spec, &mut out);
        match (&decoded, &into) {
            (Ok(ArrayBytes::Fixed(v)), Ok(())) => {
                assert_eq!(v, &out, "decode and decode_into disagree")
            }
            (Err(_), Err(_)) => {}
            (a, b) => panic!("decode and decode_into disagree: {a:?} vs {b:?}"),
        }
    }
    let Ok(decoded) = decoded else { return };
    if !lossless {
        return;
    }
    let reencoded = chain
        .encode(decoded.clone(), spec)
        .unwrap_or_else(|e| panic!("a decoded chunk does not encode: {e}"));
    let again = chain
        .decode(&reencoded, spec)
        .unwrap_or_else(|e| panic!("an encoded chunk does not decode: {e}"));
    assert_eq!(decoded, again, "encode -> decode round trip");
}
