//! `.npy` files: the header parser and the data read after it
//! (`zarr::npy::read_npy_from`, which `zarr import` uses).
//!
//! Asserts: reading never panics; the live heap stays under 64 MiB, which
//! means memory grows with the bytes actually read, never with the size a
//! header claims; what reads, written with `write_npy_to`, reads back to the
//! same buffer (shape, data type, order and elements).
#![no_main]
use libfuzzer_sys::fuzz_target;
use zarr::npy::{read_npy_from, write_npy_to};
use zarr_fuzz::{set_limit, MIB};

fuzz_target!(|data: &[u8]| {
    set_limit(64 * MIB);
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
