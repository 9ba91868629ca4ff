//! Zip archives as `ZipStore` reads them: the fuzz input is written to a
//! temporary file, opened with `ZipStore::open(path, ZipMode::Read)`, and
//! every listed key is read whole and in part.
//!
//! Asserts: nothing panics; listing gives sorted keys, each of which reads
//! (as a value, an error, or missing, but without panicking); a value read
//! whole has the length `getsize` reports, and a byte range of it equals the
//! same slice of the whole value; the live heap stays under 256 MiB (deflate
//! can expand a 64 KiB input about 1000-fold).
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::io::Write;
use zarr::buffer::BufferPrototype;
use zarr::store::{ByteRequest, Store, ZipMode, ZipStore};
use zarr_fuzz::{set_limit, MIB};

fuzz_target!(|data: &[u8]| {
    set_limit(256 * MIB);
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(data).expect("write temp file");
    file.flush().expect("flush temp file");
    let Ok(store) = ZipStore::open(file.path(), ZipMode::Read) else {
        return;
    };
    let Ok(keys) = store.list() else {
        return;
    };
    assert!(
        keys.windows(2).all(|w| w[0] <= w[1]),
        "keys are not sorted: {keys:?}"
    );
    let proto = BufferPrototype::default();
    for key in &keys {
        let Ok(Some(value)) = store.get(key, &proto, None) else {
            continue;
        };
        let bytes = value.to_vec();
        if let Ok(n) = store.getsize(key) {
            assert_eq!(n, bytes.len() as u64, "getsize of {key:?}");
        }
        let (start, end) = (bytes.len() as u64 / 3, bytes.len() as u64 * 2 / 3);
        if let Ok(Some(part)) = store.get(key, &proto, Some(ByteRequest::Range { start, end })) {
            assert_eq!(
                part.to_vec(),
                bytes[start as usize..end as usize],
                "range of {key:?}"
            );
        }
    }
    let _ = store.list_dir("");
});
