//! The `gzip` codec (bytes-to-bytes): gzip (RFC 1952) compression, as
//! numcodecs' `GZip` writes it. Several concatenated gzip members decode as
//! one stream, as Python's `gzip` module reads them.

use super::config::{invalid, Config};
use super::{BytesToBytesCodec, ChunkSpec, Codec, CodecError, CodecTraits};
use crate::metadata::CodecMetadata;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::{Map, Value};
use std::io::{Read, Write};
use std::sync::Arc;

const NAME: &str = "gzip";

/// The `gzip` codec.
///
/// ```
/// use zarr::codec::{BytesToBytesCodec, GzipCodec};
/// let codec = GzipCodec::new(5).unwrap();
/// let encoded = codec.encode(b"hello hello hello").unwrap();
/// assert_eq!(codec.decode(&encoded, 1024).unwrap(), b"hello hello hello");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GzipCodec {
    level: u32,
}

impl GzipCodec {
    /// A codec compressing at `level` (0 to 9).
    pub fn new(level: u32) -> Result<Self, CodecError> {
        if level > 9 {
            return Err(invalid(
                NAME,
                format!("\"level\" must be in 0..=9, got {level}"),
            ));
        }
        Ok(GzipCodec { level })
    }

    /// The compression level.
    pub fn level(&self) -> u32 {
        self.level
    }
}

fn decode_error(e: impl std::fmt::Display) -> CodecError {
    CodecError::Decode {
        codec: NAME.into(),
        message: e.to_string(),
    }
}

impl CodecTraits for GzipCodec {
    fn name(&self) -> &str {
        NAME
    }

    fn to_metadata(&self) -> CodecMetadata {
        let mut m = Map::new();
        m.insert("level".into(), Value::from(self.level));
        CodecMetadata::new(NAME, Some(m))
    }
}

impl BytesToBytesCodec for GzipCodec {
    fn encode(&self, decoded: &[u8]) -> Result<Vec<u8>, CodecError> {
        let out = Vec::with_capacity(decoded.len() / 2 + 64);
        let mut enc = GzEncoder::new(out, Compression::new(self.level));
        let err = |e: std::io::Error| CodecError::Encode {
            codec: NAME.into(),
            message: e.to_string(),
        };
        enc.write_all(decoded).map_err(err)?;
        enc.finish().map_err(err)
    }

    fn decode(&self, encoded: &[u8], max_decoded: usize) -> Result<Vec<u8>, CodecError> {
        // Reading one byte past the limit tells a too-large stream from one
        // that ends exactly there, and bounds the allocation.
        let limit = (max_decoded as u64).saturating_add(1);
        let mut out = Vec::with_capacity(
            max_decoded
                .min(encoded.len().saturating_mul(4))
                .min(1 << 26),
        );
        MultiGzDecoder::new(encoded)
            .take(limit)
            .read_to_end(&mut out)
            .map_err(decode_error)?;
        if out.len() > max_decoded {
            return Err(CodecError::TooLarge {
                codec: NAME.into(),
                limit: max_decoded as u64,
            });
        }
        Ok(out)
    }

    fn decode_into(&self, encoded: &[u8], out: &mut [u8]) -> Result<bool, CodecError> {
        let mut dec = MultiGzDecoder::new(encoded);
        let mut filled = 0;
        while filled < out.len() {
            match dec.read(&mut out[filled..]) {
                Ok(0) => {
                    return Err(CodecError::SizeMismatch {
                        codec: NAME.into(),
                        expected: out.len() as u64,
                        actual: filled as u64,
                    });
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(decode_error(e)),
            }
        }
        // The stream must end here (and its trailer must check out).
        let mut extra = [0u8; 1];
        loop {
            match dec.read(&mut extra) {
                Ok(0) => return Ok(true),
                Ok(_) => {
                    return Err(CodecError::TooLarge {
                        codec: NAME.into(),
                        limit: out.len() as u64,
                    })
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(decode_error(e)),
            }
        }
    }

    fn encoded_size(&self, _decoded_len: u64) -> Option<u64> {
        None
    }
}

impl From<GzipCodec> for Codec {
    fn from(c: GzipCodec) -> Codec {
        Codec::BytesToBytes(Arc::new(c))
    }
}

/// Build a `gzip` codec. As in zarr-python the entry needs a configuration
/// object; `level` defaults to 5 and must be in 0..=9.
pub(crate) fn create(metadata: &CodecMetadata, _spec: &ChunkSpec) -> Result<Codec, CodecError> {
    let cfg = Config::new(metadata, NAME, &["level"], true)?;
    let level = cfg.int_in("level", 0..=9)?.unwrap_or(5);
    Ok(GzipCodec::new(level as u32)?.into())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::codec::tests::hex;
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
        // zarr-python 3.4.2: GzipCodec(level=5).to_dict()
        let c = build(r#"{"name":"gzip","configuration":{"level":5}}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&c.to_metadata()).unwrap(),
            r#"{"name":"gzip","configuration":{"level":5}}"#
        );
        let c = build(r#"{"name":"gzip","configuration":{}}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&c.to_metadata()).unwrap(),
            r#"{"name":"gzip","configuration":{"level":5}}"#
        );
        let c = build(r#"{"name":"gzip","configuration":{"level":0}}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&c.to_metadata()).unwrap(),
            r#"{"name":"gzip","configuration":{"level":0}}"#
        );
    }

    #[test]
    fn configuration_errors() {
        for bad in [
            r#""gzip""#,
            r#"{"name":"gzip","configuration":{"level":10}}"#,
            r#"{"name":"gzip","configuration":{"level":-1}}"#,
            r#"{"name":"gzip","configuration":{"level":"5"}}"#,
            r#"{"name":"gzip","configuration":{"level":null}}"#,
            r#"{"name":"gzip","configuration":{"level":5,"x":1}}"#,
        ] {
            let e = build(bad).unwrap_err();
            assert!(
                matches!(e, CodecError::InvalidConfiguration { ref codec, .. } if codec == "gzip"),
                "{bad}: {e}"
            );
        }
        assert!(GzipCodec::new(10).is_err());
    }

    #[test]
    fn round_trip() {
        let data: Vec<u8> = (0..10_000u32)
            .flat_map(|i| ((i / 7) as u16).to_le_bytes())
            .collect();
        for level in [0, 1, 5, 9] {
            let c = GzipCodec::new(level).unwrap();
            let enc = c.encode(&data).unwrap();
            assert_eq!(c.decode(&enc, data.len()).unwrap(), data);
            let mut out = vec![0u8; data.len()];
            assert!(c.decode_into(&enc, &mut out).unwrap());
            assert_eq!(out, data);
        }
        let c = GzipCodec::new(5).unwrap();
        assert_eq!(
            c.decode(&c.encode(&[]).unwrap(), 0).unwrap(),
            Vec::<u8>::new()
        );
    }

    #[test]
    fn decodes_zarr_python_output() {
        // numcodecs GZip(level=5).encode(np.arange(8, dtype="<u2").tobytes()).hex()
        let enc = hex("1f8b08001142036b00ff636060646062606660616065606360670000edd915c810000000");
        let expected: Vec<u8> = (0u16..8).flat_map(|v| v.to_le_bytes()).collect();
        let c = GzipCodec::new(5).unwrap();
        assert_eq!(c.decode(&enc, 16).unwrap(), expected);
        // Two concatenated members read as one stream, as Python's gzip does.
        let mut two = enc.clone();
        two.extend_from_slice(&enc);
        assert_eq!(c.decode(&two, 32).unwrap().len(), 32);
    }

    #[test]
    fn bad_input() {
        let c = GzipCodec::new(5).unwrap();
        let data = vec![7u8; 1000];
        let enc = c.encode(&data).unwrap();
        // Too large for the limit.
        assert!(matches!(
            c.decode(&enc, 999),
            Err(CodecError::TooLarge { .. })
        ));
        let mut small = vec![0u8; 999];
        assert!(c.decode_into(&enc, &mut small).is_err());
        let mut big = vec![0u8; 1001];
        assert!(matches!(
            c.decode_into(&enc, &mut big),
            Err(CodecError::SizeMismatch { .. })
        ));
        // Truncated, garbage, corrupted trailer.
        for bad in [
            enc[..enc.len() - 1].to_vec(),
            enc[..10].to_vec(),
            b"not gzip at all".to_vec(),
            Vec::new(),
        ] {
            assert!(c.decode(&bad, 1000).is_err());
            let mut out = vec![0u8; 1000];
            assert!(c.decode_into(&bad, &mut out).is_err());
        }
        let mut crc = enc.clone();
        let n = crc.len();
        crc[n - 6] ^= 1;
        assert!(c.decode(&crc, 1000).is_err());
        let mut out = vec![0u8; 1000];
        assert!(c.decode_into(&crc, &mut out).is_err());
    }
}
