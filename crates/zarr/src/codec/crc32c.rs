//! The `crc32c` codec (bytes-to-bytes): appends the CRC-32C (Castagnoli)
//! checksum of the data as four little-endian bytes, and checks and strips
//! it when decoding.

use super::config::Config;
use super::{BytesToBytesCodec, ChunkSpec, Codec, CodecError, CodecTraits};
use crate::metadata::CodecMetadata;
use std::sync::Arc;

const NAME: &str = "crc32c";

/// The `crc32c` codec.
///
/// ```
/// use zarr::codec::{BytesToBytesCodec, Crc32cCodec};
/// let codec = Crc32cCodec::new();
/// let encoded = codec.encode(b"hello world").unwrap();
/// assert_eq!(&encoded[11..], &0xc99465aau32.to_le_bytes());
/// assert_eq!(codec.decode(&encoded, 11).unwrap(), b"hello world");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Crc32cCodec;

impl Crc32cCodec {
    /// The codec (it has no parameters).
    pub fn new() -> Self {
        Crc32cCodec
    }

    /// Split `encoded` into data and checksum, verifying the checksum.
    fn check(encoded: &[u8]) -> Result<&[u8], CodecError> {
        let Some(split) = encoded.len().checked_sub(4) else {
            return Err(CodecError::Decode {
                codec: NAME.into(),
                message: format!("{} bytes is too short to hold a checksum", encoded.len()),
            });
        };
        let (data, tail) = encoded.split_at(split);
        let mut stored = [0u8; 4];
        stored.copy_from_slice(tail);
        let stored = u32::from_le_bytes(stored);
        let computed = crc32c::crc32c(data);
        if stored != computed {
            return Err(CodecError::Checksum {
                codec: NAME.into(),
                stored,
                computed,
            });
        }
        Ok(data)
    }
}

impl CodecTraits for Crc32cCodec {
    fn name(&self) -> &str {
        NAME
    }

    fn to_metadata(&self) -> CodecMetadata {
        CodecMetadata::new(NAME, None)
    }
}

impl BytesToBytesCodec for Crc32cCodec {
    fn encode(&self, decoded: &[u8]) -> Result<Vec<u8>, CodecError> {
        let mut out = Vec::with_capacity(decoded.len() + 4);
        out.extend_from_slice(decoded);
        out.extend_from_slice(&crc32c::crc32c(decoded).to_le_bytes());
        Ok(out)
    }

    fn decode(&self, encoded: &[u8], max_decoded: usize) -> Result<Vec<u8>, CodecError> {
        let data = Self::check(encoded)?;
        if data.len() > max_decoded {
            return Err(CodecError::TooLarge {
                codec: NAME.into(),
                limit: max_decoded as u64,
            });
        }
        Ok(data.to_vec())
    }

    fn decode_into(&self, encoded: &[u8], out: &mut [u8]) -> Result<bool, CodecError> {
        let data = Self::check(encoded)?;
        if data.len() != out.len() {
            return Err(CodecError::SizeMismatch {
                codec: NAME.into(),
                expected: out.len() as u64,
                actual: data.len() as u64,
            });
        }
        out.copy_from_slice(data);
        Ok(true)
    }

    fn encoded_size(&self, decoded_len: u64) -> Option<u64> {
        decoded_len.checked_add(4)
    }
}

impl From<Crc32cCodec> for Codec {
    fn from(c: Crc32cCodec) -> Codec {
        Codec::BytesToBytes(Arc::new(c))
    }
}

/// Build a `crc32c` codec. The configuration is optional and must be empty.
pub(crate) fn create(metadata: &CodecMetadata, _spec: &ChunkSpec) -> Result<Codec, CodecError> {
    Config::new(metadata, NAME, &[], false)?;
    Ok(Crc32cCodec.into())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::dtype::{DataType, FillValue};

    fn build(json: &str) -> Result<Arc<dyn BytesToBytesCodec>, CodecError> {
        let s = ChunkSpec {
            shape: vec![4],
            data_type: DataType::UInt8,
            fill_value: FillValue::default_for(DataType::UInt8),
        };
        match create(&serde_json::from_str(json).unwrap(), &s)? {
            Codec::BytesToBytes(c) => Ok(c),
            other => panic!("unexpected codec {other:?}"),
        }
    }

    #[test]
    fn metadata_like_zarr_python() {
        // zarr-python 3.4.2: Crc32cCodec().to_dict() == {"name": "crc32c"}
        for m in [
            r#"{"name":"crc32c"}"#,
            r#""crc32c""#,
            r#"{"name":"crc32c","configuration":{}}"#,
        ] {
            let c = build(m).unwrap();
            assert_eq!(
                serde_json::to_string(&c.to_metadata()).unwrap(),
                r#"{"name":"crc32c"}"#
            );
        }
        let e = build(r#"{"name":"crc32c","configuration":{"x":1}}"#).unwrap_err();
        assert!(
            matches!(e, CodecError::InvalidConfiguration { ref codec, ref message } if codec == "crc32c" && message.contains("x")),
            "{e}"
        );
    }

    #[test]
    fn matches_google_crc32c() {
        // google_crc32c.value(b"hello world") == 0xc99465aa
        let enc = Crc32cCodec.encode(b"hello world").unwrap();
        assert_eq!(&enc[..11], b"hello world");
        assert_eq!(enc[11..], 0xc99465aau32.to_le_bytes());
        assert_eq!(Crc32cCodec.encoded_size(11), Some(15));
    }

    #[test]
    fn round_trip_and_bad_input() {
        let c = Crc32cCodec;
        for data in [Vec::new(), vec![1u8], (0..1000).map(|i| i as u8).collect()] {
            let enc = c.encode(&data).unwrap();
            assert_eq!(c.decode(&enc, data.len()).unwrap(), data);
            let mut out = vec![0u8; data.len()];
            assert!(c.decode_into(&enc, &mut out).unwrap());
            assert_eq!(out, data);
            if !data.is_empty() {
                assert!(matches!(
                    c.decode(&enc, data.len() - 1),
                    Err(CodecError::TooLarge { .. })
                ));
            }
            let mut bad = enc.clone();
            bad[0] ^= 1;
            assert!(matches!(
                c.decode(&bad, data.len()),
                Err(CodecError::Checksum { .. })
            ));
            assert!(matches!(
                c.decode_into(&bad, &mut out),
                Err(CodecError::Checksum { .. })
            ));
            let mut wrong = vec![0u8; data.len() + 1];
            assert!(matches!(
                c.decode_into(&enc, &mut wrong),
                Err(CodecError::SizeMismatch { .. })
            ));
        }
        for short in [&[][..], &[1, 2, 3]] {
            assert!(matches!(
                c.decode(short, 10),
                Err(CodecError::Decode { .. })
            ));
            assert!(c.decode_into(short, &mut []).is_err());
        }
    }
}
