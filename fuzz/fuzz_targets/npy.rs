//! `.npy` files: the header parser and the data read after it
//! (`zarr::npy::read_npy_from`, which `zarr import` uses).
//!
//! Asserts: reading never panics; the live heap stays under 64 MiB, which
//! means memory grows with the bytes actually read, never with the size a
//! header claims; what reads, written with `write_npy_to`, reads back to the
//! same buffer (shape, data type, order and elements).
//!
//! One exception, by the library's design: zero-width strings (`<U0`,
//! `|S0`), whose element count the file size does not bound, are accepted
//! up to 2^24 elements (`npy::MAX_ZERO_WIDTH_ELEMENTS`), one empty `Vec`
//! (24 bytes) each, so a header-only file may take 384 MiB, and its round
//! trip (written back as `<U1` / `|S1`) about 1 GiB. Inputs whose text names
//! such a type get a 1 GiB bound.
#![no_main]
use libfuzzer_sys::fuzz_target;
use zarr::npy::{read_npy_from, write_npy_to};
use zarr_fuzz::{set_limit, MIB};

fuzz_target!(|data: &[u8]| {
    let zero_width = data
        .windows(3)
        .any(|w| (w[0] == b'U' || w[0] == b'S') && w[1] == b'0' && (w[2] == b'\'' || w[2] == b'"'));
    set_limit(if zero_width { 1024 * MIB } else { 64 * MIB });
    let Ok(buf) = read_npy_from(data) else {
        return;
    };
    let mut written = Vec::new();
    write_npy_to(&mut written, &buf)
        .unwrap_or_else(|e| panic!("a buffer read from .npy does not write: {e}"));
    let back =
        read_npy_from(&written[..]).unwrap_or_else(|e| panic!("a written .npy does not read: {e}"));
    assert_eq!(buf, back, ".npy round trip");
});
