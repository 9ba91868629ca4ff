//! The `numcodecs.fletcher32` codec (bytes-to-bytes; V2 id `fletcher32`):
//! numcodecs' Fletcher-32 checksum (the HDF5 / netCDF variant: big-endian
//! 16-bit words, a last odd byte as the high byte of a word, sums folded
//! every 360 words), stored as 4 little-endian bytes after the data.

use super::config::Config;
use super::trailing_checksum;
use super::{BytesToBytesCodec, ChunkSpec, Codec, CodecError, CodecTraits};
use crate::metadata::CodecMetadata;
use std::sync::Arc;

const NAME: &str = "numcodecs.fletcher32";

/// numcodecs' `Fletcher32` checksum codec.
///
/// ```
/// use zarr::codec::{BytesToBytesCodec, Fletcher32Codec};
/// let c = Fletcher32Codec;
/// // numcodecs 0.15: Fletcher32().encode(b"abc")
/// assert_eq!(c.encode(b"abc").unwrap(), b"abc\x62\xc4\xc5\x25");
/// assert_eq!(c.decode(b"abc\x62\xc4\xc5\x25", 3).unwrap(), b"abc");
/// assert!(c.decode(b"abd\x62\xc4\xc5\x25", 3).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Fletcher32Codec;

/// The checksum exactly as numcodecs computes it (32-bit wrapping sums).
pub(crate) fn fletcher32(data: &[u8]) -> u32 {
    let fold = |x: u32| (x & 0xffff).wrapping_add(x >> 16);
    let (mut sum1, mut sum2) = (0u32, 0u32);
    let words = data.chunks_exact(2);
    let odd = words.remainder().first().copied();
    let words: Vec<&[u8]> = words.collect();
    for block in words.chunks(360) {
        for w in block {
            sum1 = sum1.wrapping_add(u32::from(u16::from_be_bytes([w[0], w[1]])));
            sum2 = sum2.wrapping_add(sum1);
        }
        sum1 = fold(sum1);
        sum2 = fold(sum2);
    }
    if let Some(b) = odd {
        sum1 = sum1.wrapping_add(u32::from(b) << 8);
        sum2 = sum2.wrapping_add(sum1);
        sum1 = fold(sum1);
        sum2 = fold(sum2);
    }
    sum1 = fold(sum1);
    sum2 = fold(sum2);
    (sum2 << 16) | sum1
}

impl CodecTraits for Fletcher32Codec {
    fn name(&self) -> &str {
        NAME
    }
    fn to_metadata(&self) -> CodecMetadata {
        CodecMetadata::new(NAME, Some(serde_json::Map::new()))
    }
}

impl BytesToBytesCodec for Fletcher32Codec {
    fn encode(&self, decoded: &[u8]) -> Result<Vec<u8>, CodecError> {
        Ok(trailing_checksum::append(decoded, fletcher32(decoded)))
    }
    fn decode(&self, encoded: &[u8], max_decoded: usize) -> Result<Vec<u8>, CodecError> {
        trailing_checksum::verify(NAME, encoded, max_decoded, fletcher32)
    }
    fn encoded_size(&self, decoded_len: u64) -> Option<u64> {
        Some(decoded_len + 4)
    }
}

/// Build a `numcodecs.fletcher32` codec (no configuration; a V2 `id` is allowed).
pub(crate) fn create(metadata: &CodecMetadata, _spec: &ChunkSpec) -> Result<Codec, CodecError> {
    Config::new(metadata, NAME, &["id"], false)?;
    Ok(Codec::BytesToBytes(Arc::new(Fletcher32Codec)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn matches_numcodecs() {
        // numcodecs 0.15.1 and 0.17.1: Fletcher32().encode(d)[len(d):].hex()
        let big_ff = vec![0xffu8; 100_000];
        let ramp: Vec<u8> = (0..5).flat_map(|_| 0..=255u8).collect();
        for (d, want) in [
            (&b"a"[..], "00610061"),
            (b"abc", "62c4c525"),
            (b"abcd", "c6c42926"),
            (&ramp, "3ec10bea"),
            (&[0xffu8; 1001], "00ff00ff"),
            (&big_ff, "ffffffff"),
            // zarr-python 3.4.2, V3 codecs [bytes, numcodecs.fletcher32]: chunk c/0 of int16 arange.
            (&[0, 0, 1, 0, 2, 0, 3, 0, 4, 0], "000a0014"),
        ] {
            let e = Fletcher32Codec.encode(d).unwrap();
            let hex: String = e[d.len()..].iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(hex, want, "{} bytes", d.len());
            assert_eq!(Fletcher32Codec.decode(&e, d.len()).unwrap(), d);
        }
    }

    #[test]
    fn metadata_like_zarr_python() {
        // zarr-python 3.4.2 with numcodecs.zarr3.Fletcher32().
        let m: CodecMetadata =
            serde_json::from_str(r#"{"name":"numcodecs.fletcher32","configuration":{}}"#).unwrap();
        let spec = ChunkSpec {
            shape: vec![1],
            data_type: crate::dtype::DataType::UInt8,
            fill_value: crate::dtype::FillValue::default_for(crate::dtype::DataType::UInt8),
        };
        let Codec::BytesToBytes(c) = create(&m, &spec).unwrap() else {
            panic!("not bytes-to-bytes")
        };
        assert_eq!(c.to_metadata(), m);
        let bad: CodecMetadata =
            serde_json::from_str(r#"{"name":"numcodecs.fletcher32","configuration":{"x":1}}"#)
                .unwrap();
        assert!(create(&bad, &spec).is_err());
    }

    #[test]
    fn corrupt_and_short_inputs_are_errors() {
        let mut e = Fletcher32Codec.encode(b"hello world").unwrap();
        e[3] ^= 0x10;
        assert!(matches!(
            Fletcher32Codec.decode(&e, 100),
            Err(CodecError::Checksum { .. })
        ));
        assert!(Fletcher32Codec.decode(b"abc", 100).is_err());
        assert!(Fletcher32Codec
            .decode(&Fletcher32Codec.encode(b"abcdef").unwrap(), 5)
            .is_err());
    }
}
