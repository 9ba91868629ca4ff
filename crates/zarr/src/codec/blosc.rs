//! The `blosc` codec (bytes-to-bytes): c-blosc 1 compression through the
//! `blosc-src` crate, using the thread-safe context functions with a single
//! internal thread.
//!
//! Unset `typesize` and `shuffle` are inferred from the array's data type as
//! zarr-python's `evolve_from_array_spec` does: `typesize` is the element size
//! (1 for variable-length types) and `shuffle` is `bitshuffle` for one-byte
//! elements and `shuffle` otherwise.
//!
//! Decoding validates the buffer's header against its length and checks the
//! decompressed size it claims against the caller's limit before allocating.

use super::config::{invalid, Config};
use super::{BytesToBytesCodec, ChunkSpec, Codec, CodecError, CodecTraits};
use crate::metadata::CodecMetadata;
use serde_json::{Map, Value};
use std::ffi::{c_int, c_void, CStr};
use std::sync::Arc;

const NAME: &str = "blosc";

/// The most bytes blosc adds to its input (`BLOSC_MAX_OVERHEAD`).
const MAX_OVERHEAD: usize = blosc_src::BLOSC_MAX_OVERHEAD as usize;
/// The largest input blosc compresses (`BLOSC_MAX_BUFFERSIZE`).
const MAX_BUFFERSIZE: usize = blosc_src::BLOSC_MAX_BUFFERSIZE as usize;
/// The size of a blosc header.
const MIN_HEADER_LENGTH: usize = blosc_src::BLOSC_MIN_HEADER_LENGTH as usize;

/// The compressor blosc runs on each block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BloscCompressor {
    /// LZ4.
    Lz4,
    /// LZ4 high compression.
    Lz4hc,
    /// BloscLZ.
    Blosclz,
    /// Zstandard.
    Zstd,
    /// Snappy.
    Snappy,
    /// zlib.
    Zlib,
}

impl BloscCompressor {
    /// Every compressor.
    pub const ALL: [BloscCompressor; 6] = [
        BloscCompressor::Lz4,
        BloscCompressor::Lz4hc,
        BloscCompressor::Blosclz,
        BloscCompressor::Zstd,
        BloscCompressor::Snappy,
        BloscCompressor::Zlib,
    ];

    /// The `cname` written in metadata.
    pub fn as_str(&self) -> &'static str {
        match self {
            BloscCompressor::Lz4 => "lz4",
            BloscCompressor::Lz4hc => "lz4hc",
            BloscCompressor::Blosclz => "blosclz",
            BloscCompressor::Zstd => "zstd",
            BloscCompressor::Snappy => "snappy",
            BloscCompressor::Zlib => "zlib",
        }
    }

    /// Parse a `cname`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == name)
    }

    fn c_name(&self) -> &'static CStr {
        match self {
            BloscCompressor::Lz4 => c"lz4",
            BloscCompressor::Lz4hc => c"lz4hc",
            BloscCompressor::Blosclz => c"blosclz",
            BloscCompressor::Zstd => c"zstd",
            BloscCompressor::Snappy => c"snappy",
            BloscCompressor::Zlib => c"zlib",
        }
    }
}

/// The shuffle filter blosc applies before compressing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BloscShuffle {
    /// No shuffle.
    NoShuffle,
    /// Byte shuffle.
    Shuffle,
    /// Bit shuffle.
    BitShuffle,
}

impl BloscShuffle {
    /// The name written in metadata.
    pub fn as_str(&self) -> &'static str {
        match self {
            BloscShuffle::NoShuffle => "noshuffle",
            BloscShuffle::Shuffle => "shuffle",
            BloscShuffle::BitShuffle => "bitshuffle",
        }
    }

    /// Parse a shuffle name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "noshuffle" => Some(BloscShuffle::NoShuffle),
            "shuffle" => Some(BloscShuffle::Shuffle),
            "bitshuffle" => Some(BloscShuffle::BitShuffle),
            _ => None,
        }
    }

    /// The shuffle zarr-python picks for elements of `item_size` bytes.
    pub fn default_for(item_size: usize) -> Self {
        if item_size == 1 {
            BloscShuffle::BitShuffle
        } else {
            BloscShuffle::Shuffle
        }
    }

    fn code(&self) -> c_int {
        match self {
            BloscShuffle::NoShuffle => blosc_src::BLOSC_NOSHUFFLE as c_int,
            BloscShuffle::Shuffle => blosc_src::BLOSC_SHUFFLE as c_int,
            BloscShuffle::BitShuffle => blosc_src::BLOSC_BITSHUFFLE as c_int,
        }
    }
}

/// The `blosc` codec.
///
/// ```
/// use zarr::codec::{BloscCodec, BloscCompressor, BloscShuffle, BytesToBytesCodec};
/// let codec = BloscCodec::new(BloscCompressor::Lz4, 5, BloscShuffle::Shuffle, 2, 0).unwrap();
/// let data: Vec<u8> = (0u16..1000).flat_map(|v| v.to_le_bytes()).collect();
/// let encoded = codec.encode(&data).unwrap();
/// assert!(encoded.len() < data.len());
/// assert_eq!(codec.decode(&encoded, data.len()).unwrap(), data);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BloscCodec {
    cname: BloscCompressor,
    clevel: u8,
    shuffle: BloscShuffle,
    typesize: usize,
    blocksize: usize,
}

fn decode_error(message: impl Into<String>) -> CodecError {
    CodecError::Decode {
        codec: NAME.into(),
        message: message.into(),
    }
}

fn encode_error(message: impl Into<String>) -> CodecError {
    CodecError::Encode {
        codec: NAME.into(),
        message: message.into(),
    }
}

/// Validate a blosc buffer and return the decompressed size its header claims.
fn validated_size(encoded: &[u8]) -> Result<usize, CodecError> {
    if encoded.len() < MIN_HEADER_LENGTH {
        return Err(decode_error(format!(
            "{} bytes is too short for a blosc header",
            encoded.len()
        )));
    }
    let mut nbytes = 0usize;
    // SAFETY: the pointer and length describe `encoded`, which outlives the
    // call; `nbytes` is a valid place to write a `size_t`.
    let rc = unsafe {
        blosc_src::blosc_cbuffer_validate(
            encoded.as_ptr().cast::<c_void>(),
            encoded.len(),
            &mut nbytes,
        )
    };
    if rc != 0 {
        return Err(decode_error(
            "invalid blosc header (sizes do not match the buffer)",
        ));
    }
    Ok(nbytes)
}

/// Decompress a validated buffer into `out`, which must be exactly the size
/// the header claims.
fn decompress(encoded: &[u8], out: &mut [u8]) -> Result<(), CodecError> {
    if out.is_empty() {
        return Ok(());
    }
    // SAFETY: `encoded` passed `blosc_cbuffer_validate` with its true length,
    // which guarantees that decompression reads only inside it; blosc writes
    // at most `out.len()` bytes into `out`.
    let rc = unsafe {
        blosc_src::blosc_decompress_ctx(
            encoded.as_ptr().cast::<c_void>(),
            out.as_mut_ptr().cast::<c_void>(),
            out.len(),
            1,
        )
    };
    if rc < 0 || rc as usize != out.len() {
        return Err(decode_error(format!(
            "corrupt blosc data (error code {rc})"
        )));
    }
    Ok(())
}

impl BloscCodec {
    /// A codec with compressor `cname`, level `clevel` (0 to 9), shuffle
    /// filter `shuffle`, element size `typesize` (at least 1) and
    /// `blocksize` (0 picks it automatically).
    pub fn new(
        cname: BloscCompressor,
        clevel: u8,
        shuffle: BloscShuffle,
        typesize: usize,
        blocksize: usize,
    ) -> Result<Self, CodecError> {
        if clevel > 9 {
            return Err(invalid(
                NAME,
                format!("\"clevel\" must be in 0..=9, got {clevel}"),
            ));
        }
        if typesize == 0 {
            return Err(invalid(NAME, "\"typesize\" must be at least 1"));
        }
        Ok(BloscCodec {
            cname,
            clevel,
            shuffle,
            typesize,
            blocksize,
        })
    }

    /// The compressor.
    pub fn cname(&self) -> BloscCompressor {
        self.cname
    }
    /// The compression level.
    pub fn clevel(&self) -> u8 {
        self.clevel
    }
    /// The shuffle filter.
    pub fn shuffle(&self) -> BloscShuffle {
        self.shuffle
    }
    /// The element size the shuffle works on.
    pub fn typesize(&self) -> usize {
        self.typesize
    }
    /// The block size (0: automatic).
    pub fn blocksize(&self) -> usize {
        self.blocksize
    }
}

impl CodecTraits for BloscCodec {
    fn name(&self) -> &str {
        NAME
    }

    fn to_metadata(&self) -> CodecMetadata {
        let mut m = Map::new();
        m.insert("typesize".into(), Value::from(self.typesize));
        m.insert("cname".into(), Value::from(self.cname.as_str()));
        m.insert("clevel".into(), Value::from(self.clevel));
        m.insert("shuffle".into(), Value::from(self.shuffle.as_str()));
        m.insert("blocksize".into(), Value::from(self.blocksize));
        CodecMetadata::new(NAME, Some(m))
    }
}

impl BytesToBytesCodec for BloscCodec {
    fn encode(&self, decoded: &[u8]) -> Result<Vec<u8>, CodecError> {
        if decoded.len() > MAX_BUFFERSIZE {
            return Err(encode_error(format!(
                "{} bytes exceeds blosc's limit of {MAX_BUFFERSIZE}",
                decoded.len()
            )));
        }
        let capacity = decoded.len() + MAX_OVERHEAD;
        let mut out: Vec<u8> = Vec::with_capacity(capacity);
        // SAFETY: `decoded` is readable for its length; `out` has room for
        // `capacity` bytes and blosc writes no more than that; the compressor
        // name is a NUL-terminated string. The ctx function keeps no global state.
        let rc = unsafe {
            blosc_src::blosc_compress_ctx(
                c_int::from(self.clevel),
                self.shuffle.code(),
                self.typesize,
                decoded.len(),
                decoded.as_ptr().cast::<c_void>(),
                out.as_mut_ptr().cast::<c_void>(),
                capacity,
                self.cname.c_name().as_ptr(),
                self.blocksize,
                1,
            )
        };
        if rc <= 0 {
            return Err(encode_error(format!(
                "blosc compression failed with code {rc} (compressor {} unavailable?)",
                self.cname.as_str()
            )));
        }
        let written = rc as usize;
        if written > capacity {
            return Err(encode_error("blosc reported writing past its buffer"));
        }
        // SAFETY: blosc initialised the first `written` bytes.
        unsafe { out.set_len(written) };
        Ok(out)
    }

    fn decode(&self, encoded: &[u8], max_decoded: usize) -> Result<Vec<u8>, CodecError> {
        let nbytes = validated_size(encoded)?;
        if nbytes > max_decoded {
            return Err(CodecError::TooLarge {
                codec: NAME.into(),
                limit: max_decoded as u64,
            });
        }
        let mut out = vec![0u8; nbytes];
        decompress(encoded, &mut out)?;
        Ok(out)
    }

    fn decode_into(&self, encoded: &[u8], out: &mut [u8]) -> Result<bool, CodecError> {
        let nbytes = validated_size(encoded)?;
        if nbytes != out.len() {
            return Err(CodecError::SizeMismatch {
                codec: NAME.into(),
                expected: out.len() as u64,
                actual: nbytes as u64,
            });
        }
        decompress(encoded, out)?;
        Ok(true)
    }

    fn encoded_size(&self, _decoded_len: u64) -> Option<u64> {
        None
    }
}

impl From<BloscCodec> for Codec {
    fn from(c: BloscCodec) -> Codec {
        Codec::BytesToBytes(Arc::new(c))
    }
}

/// Build a `blosc` codec for chunks of `spec`. As in zarr-python the entry
/// needs a configuration object; `cname` defaults to `zstd`, `clevel` to 5,
/// `blocksize` to 0, and unset (or `null`) `typesize` and `shuffle` are
/// inferred from the data type.
pub(crate) fn create(metadata: &CodecMetadata, spec: &ChunkSpec) -> Result<Codec, CodecError> {
    const CNAMES: [&str; 6] = ["lz4", "lz4hc", "blosclz", "zstd", "snappy", "zlib"];
    let cfg = Config::new(
        metadata,
        NAME,
        &["typesize", "cname", "clevel", "shuffle", "blocksize"],
        true,
    )?;
    let item_size = spec.data_type.size().unwrap_or(1);
    let typesize = if cfg.is_null("typesize") {
        None
    } else {
        cfg.int_in("typesize", 1..=i64::MAX)?
    };
    let typesize = match typesize {
        Some(t) => {
            usize::try_from(t).map_err(|_| cfg.error("typesize", format!("is too large: {t}")))?
        }
        None => item_size,
    };
    if cfg.is_null("cname") {
        return Err(cfg.error("cname", format!("must be one of {CNAMES:?}, got null")));
    }
    let cname = cfg
        .choice("cname", &CNAMES)?
        .and_then(BloscCompressor::from_name)
        .unwrap_or(BloscCompressor::Zstd);
    let clevel = cfg.int_in("clevel", 0..=9)?.unwrap_or(5);
    let shuffle = cfg
        .choice("shuffle", &["noshuffle", "shuffle", "bitshuffle"])?
        .and_then(BloscShuffle::from_name)
        .unwrap_or_else(|| BloscShuffle::default_for(item_size));
    let blocksize = cfg.int_in("blocksize", 0..=i64::MAX)?.unwrap_or(0);
    let blocksize = usize::try_from(blocksize)
        .map_err(|_| cfg.error("blocksize", format!("is too large: {blocksize}")))?;
    Ok(BloscCodec::new(cname, clevel as u8, shuffle, typesize, blocksize)?.into())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::codec::tests::hex;
    use crate::dtype::{DataType, FillValue};

    fn spec(dt: DataType) -> ChunkSpec {
        ChunkSpec {
            shape: vec![4],
            data_type: dt,
            fill_value: FillValue::default_for(dt),
        }
    }

    fn build(json: &str, dt: DataType) -> Result<Arc<dyn BytesToBytesCodec>, CodecError> {
        match create(&serde_json::from_str(json).unwrap(), &spec(dt))? {
            Codec::BytesToBytes(c) => Ok(c),
            other => panic!("unexpected codec {other:?}"),
        }
    }

    fn json(c: &dyn BytesToBytesCodec) -> String {
        serde_json::to_string(&c.to_metadata()).unwrap()
    }

    #[test]
    fn metadata_like_zarr_python() {
        // zarr-python 3.4.2: BloscCodec().evolve_from_array_spec(...) for uint8
        // and float64 arrays, and BloscCodec(typesize=4, cname="lz4", clevel=1,
        // shuffle="noshuffle", blocksize=128).to_dict().
        let c = build(r#"{"name":"blosc","configuration":{}}"#, DataType::UInt8).unwrap();
        assert_eq!(
            json(&*c),
            r#"{"name":"blosc","configuration":{"typesize":1,"cname":"zstd","clevel":5,"shuffle":"bitshuffle","blocksize":0}}"#
        );
        let c = build(
            r#"{"name":"blosc","configuration":{"typesize":null,"shuffle":null}}"#,
            DataType::Float64,
        )
        .unwrap();
        assert_eq!(
            json(&*c),
            r#"{"name":"blosc","configuration":{"typesize":8,"cname":"zstd","clevel":5,"shuffle":"shuffle","blocksize":0}}"#
        );
        let c = build(r#"{"name":"blosc","configuration":{}}"#, DataType::String).unwrap();
        assert_eq!(
            json(&*c),
            r#"{"name":"blosc","configuration":{"typesize":1,"cname":"zstd","clevel":5,"shuffle":"bitshuffle","blocksize":0}}"#
        );
        let full = r#"{"name":"blosc","configuration":{"typesize":4,"cname":"lz4","clevel":1,"shuffle":"noshuffle","blocksize":128}}"#;
        assert_eq!(json(&*build(full, DataType::UInt16).unwrap()), full);
        let reordered = r#"{"name":"blosc","configuration":{"blocksize":128,"shuffle":"noshuffle","clevel":1,"cname":"lz4","typesize":4}}"#;
        assert_eq!(json(&*build(reordered, DataType::UInt16).unwrap()), full);
    }

    #[test]
    fn configuration_errors() {
        for bad in [
            r#""blosc""#,
            r#"{"name":"blosc","configuration":{"typesize":0}}"#,
            r#"{"name":"blosc","configuration":{"typesize":"2"}}"#,
            r#"{"name":"blosc","configuration":{"cname":"lzma"}}"#,
            r#"{"name":"blosc","configuration":{"cname":null}}"#,
            r#"{"name":"blosc","configuration":{"cname":1}}"#,
            r#"{"name":"blosc","configuration":{"clevel":10}}"#,
            r#"{"name":"blosc","configuration":{"clevel":-1}}"#,
            r#"{"name":"blosc","configuration":{"clevel":null}}"#,
            r#"{"name":"blosc","configuration":{"shuffle":1}}"#,
            r#"{"name":"blosc","configuration":{"shuffle":"byte"}}"#,
            r#"{"name":"blosc","configuration":{"blocksize":-1}}"#,
            r#"{"name":"blosc","configuration":{"blocksize":null}}"#,
            r#"{"name":"blosc","configuration":{"level":5}}"#,
        ] {
            let e = build(bad, DataType::UInt16).unwrap_err();
            assert!(
                matches!(e, CodecError::InvalidConfiguration { ref codec, .. } if codec == "blosc"),
                "{bad}: {e}"
            );
        }
        assert!(BloscCodec::new(BloscCompressor::Lz4, 10, BloscShuffle::Shuffle, 1, 0).is_err());
        assert!(BloscCodec::new(BloscCompressor::Lz4, 1, BloscShuffle::Shuffle, 0, 0).is_err());
    }

    #[test]
    fn round_trip_every_compressor() {
        let data: Vec<u8> = (0..20_000u32)
            .flat_map(|i| ((i / 5) as u16).to_le_bytes())
            .collect();
        for cname in BloscCompressor::ALL {
            for shuffle in [
                BloscShuffle::NoShuffle,
                BloscShuffle::Shuffle,
                BloscShuffle::BitShuffle,
            ] {
                for (clevel, typesize, blocksize) in [(5, 2, 0), (0, 1, 0), (9, 4, 4096)] {
                    let c = BloscCodec::new(cname, clevel, shuffle, typesize, blocksize).unwrap();
                    let enc = c.encode(&data).unwrap();
                    assert!(enc.len() <= data.len() + MAX_OVERHEAD);
                    if clevel > 0 {
                        assert!(
                            enc.len() < data.len(),
                            "{cname:?} {shuffle:?} did not compress"
                        );
                    }
                    assert_eq!(
                        c.decode(&enc, data.len()).unwrap(),
                        data,
                        "{cname:?} {shuffle:?}"
                    );
                    let mut out = vec![0u8; data.len()];
                    assert!(c.decode_into(&enc, &mut out).unwrap());
                    assert_eq!(out, data);
                }
            }
        }
        let c = BloscCodec::new(BloscCompressor::Zstd, 5, BloscShuffle::Shuffle, 2, 0).unwrap();
        let empty = c.encode(&[]).unwrap();
        assert_eq!(c.decode(&empty, 0).unwrap(), Vec::<u8>::new());
        assert!(c.decode_into(&empty, &mut []).unwrap());
        let odd = c.encode(&[1, 2, 3]).unwrap();
        assert_eq!(c.decode(&odd, 3).unwrap(), vec![1, 2, 3]);
    }

    #[test]
    fn decodes_zarr_python_output() {
        // numcodecs Blosc(cname, clevel=5, shuffle, typesize=2).encode(
        //     (np.arange(64, dtype="<u2") // 8).tobytes()).hex()
        let expected: Vec<u8> = (0u16..64).flat_map(|v| (v / 8).to_le_bytes()).collect();
        let c = BloscCodec::new(BloscCompressor::Zstd, 5, BloscShuffle::Shuffle, 2, 0).unwrap();
        for (what, h) in [
            ("lz4 shuffle", "02013102800000008000000045000000140000002d0000001300010013010100130201001303010013040100130501001306010013070100033f000f020021500000000000"),
            ("lz4hc noshuffle", "0201300280000000800000003e00000014000000260000001b0001001b0102001b0202001b0302001b0402001b0502001b06020016070200500007000700"),
            ("blosclz shuffle", "02011102800000008000000044000000140000002c00000028000000000000000001a0000002a0000003a0000004a0000005a0000006a0000007a0000000e03400010000"),
            ("zstd bitshuffle", "02019402800000008000000034000000140000001c00000028b52ffd20809d00002000ff00ff05000197600521c5825dc6650e0b"),
            ("zlib shuffle", "020171028000000080000000380000001400000020000000785e63608000462860820266286081025628608302762860a01000004a7000e1"),
        ] {
            assert_eq!(c.decode(&hex(h), 128).unwrap(), expected, "{what}");
        }
    }

    #[test]
    fn bad_input() {
        let c = BloscCodec::new(BloscCompressor::Lz4, 5, BloscShuffle::Shuffle, 2, 0).unwrap();
        let data: Vec<u8> = (0..4096u32).map(|i| (i / 16) as u8).collect();
        let enc = c.encode(&data).unwrap();
        assert!(matches!(
            c.decode(&enc, 4095),
            Err(CodecError::TooLarge { .. })
        ));
        let mut wrong = vec![0u8; 4095];
        assert!(matches!(
            c.decode_into(&enc, &mut wrong),
            Err(CodecError::SizeMismatch { .. })
        ));
        // Truncated, short, garbage.
        for bad in [
            enc[..enc.len() - 1].to_vec(),
            enc[..16].to_vec(),
            enc[..5].to_vec(),
            Vec::new(),
            vec![0xffu8; 64],
        ] {
            assert!(c.decode(&bad, 4096).is_err(), "{bad:?}");
            let mut out = vec![0u8; 4096];
            assert!(c.decode_into(&bad, &mut out).is_err());
        }
        // A header claiming a huge decompressed size: refused before allocating.
        let mut huge = enc.clone();
        huge[4..8].copy_from_slice(&0x7fff_0000u32.to_le_bytes());
        assert!(c.decode(&huge, 1 << 20).is_err());
        // A small valid buffer whose (true) size is over the limit.
        let zeros = c.encode(&vec![0u8; 1 << 20]).unwrap();
        assert!(zeros.len() < 10_000);
        assert!(matches!(
            c.decode(&zeros, 10_000),
            Err(CodecError::TooLarge { .. })
        ));
        // Corrupted payloads never panic or read out of bounds.
        for i in 16..enc.len() {
            let mut bad = enc.clone();
            bad[i] ^= 0xa5;
            let _ = c.decode(&bad, 4096);
        }
    }
}
