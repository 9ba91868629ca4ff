//! The `zstd` codec (bytes-to-bytes): Zstandard compression, as numcodecs'
//! `Zstd` writes it (one frame with the content size in its header, an
//! optional checksum). Decoding also accepts frames without a content size
//! and several concatenated frames, and never allocates past the caller's
//! limit whatever a frame header claims.

use super::config::{invalid, Config};
use super::{BytesToBytesCodec, ChunkSpec, Codec, CodecError, CodecTraits};
use crate::metadata::CodecMetadata;
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::io::Read;
use std::sync::Arc;
use zstd::bulk::{Compressor, Decompressor};
use zstd::zstd_safe::CParameter;

const NAME: &str = "zstd";

/// The lowest compression level zstd accepts (`ZSTD_minCLevel()`).
pub(crate) const ZSTD_MIN_LEVEL: i32 = -(1 << 17);
/// The highest compression level zstd accepts (`ZSTD_maxCLevel()`).
pub(crate) const ZSTD_MAX_LEVEL: i32 = 22;

/// The `zstd` codec.
///
/// ```
/// use zarr::codec::{BytesToBytesCodec, ZstdCodec};
/// let codec = ZstdCodec::new(3, true).unwrap();
/// let encoded = codec.encode(b"hello hello hello").unwrap();
/// assert_eq!(codec.decode(&encoded, 1024).unwrap(), b"hello hello hello");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZstdCodec {
    level: i32,
    checksum: bool,
}

thread_local! {
    // Contexts are reused per thread: creating one costs more than
    // compressing a small chunk.
    static COMPRESSOR: RefCell<Option<Compressor<'static>>> = const { RefCell::new(None) };
    static DECOMPRESSOR: RefCell<Option<Decompressor<'static>>> = const { RefCell::new(None) };
}

fn encode_error(e: impl std::fmt::Display) -> CodecError {
    CodecError::Encode {
        codec: NAME.into(),
        message: e.to_string(),
    }
}

fn decode_error(e: impl std::fmt::Display) -> CodecError {
    CodecError::Decode {
        codec: NAME.into(),
        message: e.to_string(),
    }
}

fn too_large(limit: usize) -> CodecError {
    CodecError::TooLarge {
        codec: NAME.into(),
        limit: limit as u64,
    }
}

/// The largest streaming window (log2) for an output of at most `n` bytes:
/// the smallest power of two holding `n`, within zstd's bounds 2^10 (its
/// least window) and 2^27 (its default streaming limit).
fn window_log_for(n: usize) -> u32 {
    (usize::BITS - n.saturating_sub(1).leading_zeros()).clamp(10, 27)
}

/// zstd's message for an output buffer too small for the frames.
fn dst_too_small() -> &'static str {
    use zstd::zstd_safe::zstd_sys::ZSTD_ErrorCode;
    // zstd returns error `c` as the size_t `-c`.
    let code = (ZSTD_ErrorCode::ZSTD_error_dstSize_tooSmall as usize).wrapping_neg();
    zstd::zstd_safe::get_error_name(code)
}

/// Run `f` with this thread's decompression context.
fn with_decompressor<T>(
    f: impl FnOnce(&mut Decompressor<'static>) -> Result<T, CodecError>,
) -> Result<T, CodecError> {
    DECOMPRESSOR.with(|cell| match cell.try_borrow_mut() {
        Ok(mut slot) => {
            if slot.is_none() {
                *slot = Some(Decompressor::new().map_err(decode_error)?);
            }
            match slot.as_mut() {
                Some(d) => f(d),
                None => f(&mut Decompressor::new().map_err(decode_error)?),
            }
        }
        Err(_) => f(&mut Decompressor::new().map_err(decode_error)?),
    })
}

impl ZstdCodec {
    /// A codec compressing at `level` (-131072 to 22; 0 means zstd's default,
    /// 3), writing a content checksum into each frame when `checksum` is set.
    pub fn new(level: i32, checksum: bool) -> Result<Self, CodecError> {
        if !(ZSTD_MIN_LEVEL..=ZSTD_MAX_LEVEL).contains(&level) {
            return Err(invalid(
                NAME,
                format!("\"level\" must be in {ZSTD_MIN_LEVEL}..={ZSTD_MAX_LEVEL}, got {level}"),
            ));
        }
        Ok(ZstdCodec { level, checksum })
    }

    /// The compression level.
    pub fn level(&self) -> i32 {
        self.level
    }

    /// Whether frames carry a checksum.
    pub fn checksum(&self) -> bool {
        self.checksum
    }

    fn compress_with(
        &self,
        c: &mut Compressor<'static>,
        data: &[u8],
    ) -> Result<Vec<u8>, CodecError> {
        c.set_compression_level(self.level).map_err(encode_error)?;
        c.set_parameter(CParameter::ChecksumFlag(self.checksum))
            .map_err(encode_error)?;
        c.set_parameter(CParameter::ContentSizeFlag(true))
            .map_err(encode_error)?;
        c.compress(data).map_err(encode_error)
    }

    /// Decode a stream of frames whose total size is not known up front,
    /// reading at most `max_decoded + 1` bytes. The decoder's window (which
    /// it allocates whole, at the size a frame header declares) is bounded
    /// by the output bound: frames declaring more are refused here and left
    /// to the one-pass decode of [`ZstdCodec::decode_unsized`].
    fn decode_streaming(encoded: &[u8], max_decoded: usize) -> Result<Vec<u8>, CodecError> {
        let mut decoder =
            zstd::stream::read::Decoder::with_buffer(encoded).map_err(decode_error)?;
        decoder
            .window_log_max(window_log_for(max_decoded))
            .map_err(decode_error)?;
        let limit = (max_decoded as u64).saturating_add(1);
        let mut out = Vec::with_capacity(
            max_decoded
                .min(encoded.len().saturating_mul(4))
                .min(1 << 26),
        );
        decoder
            .take(limit)
            .read_to_end(&mut out)
            .map_err(decode_error)?;
        if out.len() > max_decoded {
            return Err(too_large(max_decoded));
        }
        Ok(out)
    }
}

impl ZstdCodec {
    /// Decode frames whose total size the first header does not give.
    ///
    /// The streaming decoder comes first: it allocates as it goes, so a
    /// corrupt frame costs little. It refuses frames whose declared window
    /// exceeds what the output bound allows ([`window_log_for`]) even when
    /// their content is small; a frame it refuses is then decoded in one
    /// pass into a buffer of at most `max_decoded` bytes (the window is the
    /// output there, so the header's window size costs nothing), which is
    /// what `decode_into` does with the caller's buffer. So `decode` and
    /// `decode_into` accept the same frames, and neither allocates much past
    /// `max_decoded` whatever the header claims.
    fn decode_unsized(encoded: &[u8], max_decoded: usize) -> Result<Vec<u8>, CodecError> {
        let streamed = Self::decode_streaming(encoded, max_decoded);
        let Err(e) = streamed else { return streamed };
        if matches!(e, CodecError::TooLarge { .. }) {
            return Err(e);
        }
        with_decompressor(|d| {
            let mut out = Vec::with_capacity(max_decoded);
            match d.decompress_to_buffer(encoded, &mut out) {
                Ok(_) => Ok(out),
                Err(b) if b.to_string() == dst_too_small() => Err(too_large(max_decoded)),
                Err(_) => Err(e),
            }
        })
    }
}

impl CodecTraits for ZstdCodec {
    fn name(&self) -> &str {
        NAME
    }

    fn to_metadata(&self) -> CodecMetadata {
        let mut m = Map::new();
        m.insert("level".into(), Value::from(self.level));
        m.insert("checksum".into(), Value::from(self.checksum));
        CodecMetadata::new(NAME, Some(m))
    }
}

impl BytesToBytesCodec for ZstdCodec {
    fn encode(&self, decoded: &[u8]) -> Result<Vec<u8>, CodecError> {
        COMPRESSOR.with(|cell| match cell.try_borrow_mut() {
            Ok(mut slot) => {
                if slot.is_none() {
                    *slot = Some(Compressor::new(self.level).map_err(encode_error)?);
                }
                match slot.as_mut() {
                    Some(c) => self.compress_with(c, decoded),
                    None => self.compress_with(
                        &mut Compressor::new(self.level).map_err(encode_error)?,
                        decoded,
                    ),
                }
            }
            Err(_) => self.compress_with(
                &mut Compressor::new(self.level).map_err(encode_error)?,
                decoded,
            ),
        })
    }

    fn decode(&self, encoded: &[u8], max_decoded: usize) -> Result<Vec<u8>, CodecError> {
        match zstd::zstd_safe::get_frame_content_size(encoded) {
            // The first frame's size bounds the total from below.
            Ok(Some(n)) if n > max_decoded as u64 => Err(too_large(max_decoded)),
            Ok(Some(n)) if n > 0 => {
                // The usual case: one frame of known size, decoded in one pass.
                // More frames than one overflow the buffer; stream those.
                let n = n as usize;
                let bulk = with_decompressor(|d| {
                    let mut out = Vec::with_capacity(n);
                    match d.decompress_to_buffer(encoded, &mut out) {
                        Ok(_) => Ok(Some(out)),
                        Err(_) => Ok(None),
                    }
                })?;
                match bulk {
                    Some(out) if out.len() <= max_decoded => Ok(out),
                    Some(_) => Err(too_large(max_decoded)),
                    None => Self::decode_unsized(encoded, max_decoded),
                }
            }
            Ok(_) => Self::decode_unsized(encoded, max_decoded),
            Err(_) => Err(decode_error(if encoded.len() < 4 {
                "input too short for a zstd frame"
            } else {
                "invalid zstd frame header"
            })),
        }
    }

    fn decode_into(&self, encoded: &[u8], out: &mut [u8]) -> Result<bool, CodecError> {
        if let Ok(Some(n)) = zstd::zstd_safe::get_frame_content_size(encoded) {
            if n > out.len() as u64 {
                return Err(CodecError::SizeMismatch {
                    codec: NAME.into(),
                    expected: out.len() as u64,
                    actual: n,
                });
            }
        }
        let written =
            with_decompressor(|d| d.decompress_to_buffer(encoded, out).map_err(decode_error))?;
        if written != out.len() {
            return Err(CodecError::SizeMismatch {
                codec: NAME.into(),
                expected: out.len() as u64,
                actual: written as u64,
            });
        }
        Ok(true)
    }

    fn encoded_size(&self, _decoded_len: u64) -> Option<u64> {
        None
    }
}

impl From<ZstdCodec> for Codec {
    fn from(c: ZstdCodec) -> Codec {
        Codec::BytesToBytes(Arc::new(c))
    }
}

/// Build a `zstd` codec. As in zarr-python the entry needs a configuration
/// object; `level` defaults to 0 and `checksum` to false.
pub(crate) fn create(metadata: &CodecMetadata, _spec: &ChunkSpec) -> Result<Codec, CodecError> {
    let cfg = Config::new(metadata, NAME, &["level", "checksum"], true)?;
    let level = cfg
        .int_in("level", ZSTD_MIN_LEVEL as i64..=ZSTD_MAX_LEVEL as i64)?
        .unwrap_or(0);
    let checksum = cfg.bool("checksum")?.unwrap_or(false);
    Ok(ZstdCodec::new(level as i32, checksum)?.into())
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

    fn json(c: &dyn BytesToBytesCodec) -> String {
        serde_json::to_string(&c.to_metadata()).unwrap()
    }

    #[test]
    fn metadata_like_zarr_python() {
        // zarr-python 3.4.2: ZstdCodec().to_dict(), ZstdCodec(level=-5, checksum=True).to_dict()
        let c = build(r#"{"name":"zstd","configuration":{"level":0,"checksum":false}}"#).unwrap();
        assert_eq!(
            json(&*c),
            r#"{"name":"zstd","configuration":{"level":0,"checksum":false}}"#
        );
        let c = build(r#"{"name":"zstd","configuration":{}}"#).unwrap();
        assert_eq!(
            json(&*c),
            r#"{"name":"zstd","configuration":{"level":0,"checksum":false}}"#
        );
        let c = build(r#"{"name":"zstd","configuration":{"checksum":true,"level":-5}}"#).unwrap();
        assert_eq!(
            json(&*c),
            r#"{"name":"zstd","configuration":{"level":-5,"checksum":true}}"#
        );
    }

    #[test]
    fn configuration_errors() {
        for bad in [
            r#""zstd""#,
            r#"{"name":"zstd","configuration":{"level":23}}"#,
            r#"{"name":"zstd","configuration":{"level":-131073}}"#,
            r#"{"name":"zstd","configuration":{"level":true}}"#,
            r#"{"name":"zstd","configuration":{"level":1.5}}"#,
            r#"{"name":"zstd","configuration":{"checksum":1}}"#,
            r#"{"name":"zstd","configuration":{"checksum":null}}"#,
            r#"{"name":"zstd","configuration":{"level":1,"x":1}}"#,
        ] {
            let e = build(bad).unwrap_err();
            assert!(
                matches!(e, CodecError::InvalidConfiguration { ref codec, .. } if codec == "zstd"),
                "{bad}: {e}"
            );
        }
        assert!(ZstdCodec::new(23, false).is_err());
        assert!(ZstdCodec::new(ZSTD_MIN_LEVEL, false).is_ok());
    }

    #[test]
    fn round_trip() {
        let data: Vec<u8> = (0..50_000u32)
            .flat_map(|i| ((i / 3) as u16).to_le_bytes())
            .collect();
        for (level, checksum) in [(0, false), (-5, true), (3, true), (19, false)] {
            let c = ZstdCodec::new(level, checksum).unwrap();
            let enc = c.encode(&data).unwrap();
            assert!(enc.len() < data.len());
            assert_eq!(c.decode(&enc, data.len()).unwrap(), data);
            let mut out = vec![0u8; data.len()];
            assert!(c.decode_into(&enc, &mut out).unwrap());
            assert_eq!(out, data);
        }
        let c = ZstdCodec::new(0, false).unwrap();
        let empty = c.encode(&[]).unwrap();
        assert_eq!(c.decode(&empty, 0).unwrap(), Vec::<u8>::new());
        assert!(c.decode_into(&empty, &mut []).unwrap());
    }

    #[test]
    fn decodes_zarr_python_output() {
        // numcodecs Zstd(level=0).encode(np.arange(8, dtype="<u2").tobytes()).hex()
        // and Zstd(level=3, checksum=True).
        let expected: Vec<u8> = (0u16..8).flat_map(|v| v.to_le_bytes()).collect();
        let c = ZstdCodec::new(0, false).unwrap();
        for h in [
            "28b52ffd201081000000000100020003000400050006000700",
            "28b52ffd24108100000000010002000300040005000600070088494901",
        ] {
            assert_eq!(c.decode(&hex(h), 16).unwrap(), expected);
            let mut out = [0u8; 16];
            c.decode_into(&hex(h), &mut out).unwrap();
            assert_eq!(out.as_slice(), expected.as_slice());
        }
    }

    #[test]
    fn frames_without_size_and_several_frames() {
        let data: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        // A streamed frame has no content size in its header.
        let mut streamed = Vec::new();
        {
            let mut enc = zstd::stream::write::Encoder::new(&mut streamed, 3).unwrap();
            std::io::Write::write_all(&mut enc, &data).unwrap();
            enc.finish().unwrap();
        }
        assert_eq!(
            zstd::zstd_safe::get_frame_content_size(&streamed).ok(),
            Some(None)
        );
        let c = ZstdCodec::new(0, false).unwrap();
        assert_eq!(c.decode(&streamed, data.len()).unwrap(), data);
        assert!(matches!(
            c.decode(&streamed, data.len() - 1),
            Err(CodecError::TooLarge { .. })
        ));
        let mut out = vec![0u8; data.len()];
        c.decode_into(&streamed, &mut out).unwrap();
        assert_eq!(out, data);
        // Two frames of known size.
        let one = c.encode(&data).unwrap();
        let mut two = one.clone();
        two.extend_from_slice(&one);
        let mut both = data.clone();
        both.extend_from_slice(&data);
        assert_eq!(c.decode(&two, both.len()).unwrap(), both);
        assert!(matches!(
            c.decode(&two, both.len() - 1),
            Err(CodecError::TooLarge { .. })
        ));
        let mut out = vec![0u8; both.len()];
        c.decode_into(&two, &mut out).unwrap();
        assert_eq!(out, both);
    }

    #[test]
    fn a_large_window_on_a_small_frame_decodes_both_ways() {
        // Found by the codec fuzz target: a frame without a content size
        // whose header declares a 192 MiB window (past the streaming
        // decoder's default limit) around one raw 12-byte block. `decode`
        // refused it while `decode_into` decoded it.
        let frame = hex("28b52ffd008c610000000102030405060708090a0b");
        let expected: Vec<u8> = (0..12).collect();
        let c = ZstdCodec::new(0, false).unwrap();
        let mut out = [0u8; 12];
        assert!(ZstdCodec::decode_streaming(&frame, 12).is_err());
        assert_eq!(c.decode(&frame, 12).unwrap(), expected);
        c.decode_into(&frame, &mut out).unwrap();
        assert_eq!(out.as_slice(), expected.as_slice());
        assert!(c.decode(&frame, 11).is_err());
        assert!(c.decode_into(&frame, &mut [0u8; 11]).is_err());
    }

    #[test]
    fn the_streaming_window_follows_the_output_bound() {
        assert_eq!(window_log_for(0), 10);
        assert_eq!(window_log_for(1024), 10);
        assert_eq!(window_log_for(1025), 11);
        assert_eq!(window_log_for(1 << 20), 20);
        assert_eq!(window_log_for(usize::MAX), 27);
        // Found by the codec fuzz target: a frame without a content size
        // declaring a 128 MiB window (zstd's default streaming limit) made
        // the streaming decoder allocate 128 MiB for a 1 MiB bound.
        let mut frame = hex("28b52ffd0088");
        frame.extend_from_slice(&[0x88; 100]);
        let c = ZstdCodec::new(0, false).unwrap();
        assert!(c.decode(&frame, 1 << 20).is_err());
        // A streamed frame of a legitimate encoder whose window exceeds the
        // bound (level 19: 8 MiB) still decodes, in one pass.
        let data: Vec<u8> = (0..3000u32).map(|i| (i % 7) as u8).collect();
        let mut streamed = Vec::new();
        {
            let mut enc = zstd::stream::write::Encoder::new(&mut streamed, 19).unwrap();
            std::io::Write::write_all(&mut enc, &data).unwrap();
            enc.finish().unwrap();
        }
        assert!(ZstdCodec::decode_streaming(&streamed, data.len()).is_err());
        assert_eq!(c.decode(&streamed, data.len()).unwrap(), data);
    }

    #[test]
    fn bad_input() {
        let c = ZstdCodec::new(3, true).unwrap();
        let data = vec![9u8; 4096];
        let enc = c.encode(&data).unwrap();
        assert!(matches!(
            c.decode(&enc, 4095),
            Err(CodecError::TooLarge { .. })
        ));
        let mut small = vec![0u8; 4095];
        assert!(c.decode_into(&enc, &mut small).is_err());
        let mut big = vec![0u8; 4097];
        assert!(c.decode_into(&enc, &mut big).is_err());
        let mut flipped = enc.clone();
        let n = flipped.len();
        flipped[n - 2] ^= 0x55; // the checksum
        for bad in [
            enc[..enc.len() - 1].to_vec(),
            enc[..6].to_vec(),
            b"garbage!".to_vec(),
            Vec::new(),
            vec![0x28],
            flipped,
        ] {
            let e = c.decode(&bad, 4096).unwrap_err();
            assert!(
                matches!(
                    e,
                    CodecError::Decode { .. } | CodecError::SizeMismatch { .. }
                ),
                "{e}"
            );
            let mut out = vec![0u8; 4096];
            assert!(c.decode_into(&bad, &mut out).is_err());
        }
        // A header claiming an enormous content size: refused before allocating.
        let mut huge = hex("28b52ffd");
        huge.push(0xe0); // frame header descriptor: single segment, 8-byte content size
        huge.extend_from_slice(&(1u64 << 60).to_le_bytes());
        huge.extend_from_slice(&[1, 0, 0]);
        assert!(matches!(
            c.decode(&huge, 1 << 20),
            Err(CodecError::TooLarge { .. })
        ));
        let mut out = vec![0u8; 16];
        assert!(c.decode_into(&huge, &mut out).is_err());
    }
}
