//! The Python-compatible JSON parser (`zarr::metadata::json`).
//!
//! Asserts: `parse` never panics; the live heap stays under 64 MiB; what
//! parses, written with `to_string` (Python's `json.dumps`) and with
//! `to_string_pretty` (`indent=2`), parses to the same value; writing is
//! deterministic (the written text parses and writes to the same text).
#![no_main]
use libfuzzer_sys::fuzz_target;
use zarr::metadata::json;
use zarr_fuzz::{set_limit, MIB};

fuzz_target!(|data: &[u8]| {
    set_limit(64 * MIB);
    let Ok(v) = json::parse(data) else {
        return;
    };
    let s = json::to_string(&v);
    let back =
        json::parse_str(&s).unwrap_or_else(|e| panic!("to_string output does not parse: {e}\n{s}"));
    assert_eq!(v, back, "parse -> to_string -> parse\n{s}");
    assert_eq!(json::to_string(&back), s, "to_string is not stable");
    let p = json::to_string_pretty(&v);
    let back = json::parse_str(&p)
        .unwrap_or_else(|e| panic!("to_string_pretty output does not parse: {e}\n{p}"));
    assert_eq!(v, back, "parse -> to_string_pretty -> parse\n{p}");
});
