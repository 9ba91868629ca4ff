//! Tests across codecs: helpers for the per-codec tests, and property tests
//! of whole chains with random data and random codec combinations.

/// Bytes from a hex string (test fixtures).
pub(crate) fn hex(s: &str) -> Vec<u8> {
    let s = s.as_bytes();
    let nibble = |c: u8| match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => panic!("bad hex digit {c}"),
    };
    assert!(s.len() % 2 == 0, "odd hex length");
    s.chunks_exact(2)
        .map(|p| nibble(p[0]) << 4 | nibble(p[1]))
        .collect()
}
