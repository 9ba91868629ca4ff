//! Codecs (seed 003): the three kinds the V3 specification defines, a
//! registry that finds them by name, and [`CodecChain`], the pipeline that
//! runs them.
//!
//! Chunk data flows through the chain as [`ArrayBytes`]: array-to-array codecs
//! (transpose, scale_offset, cast_value) map arrays to arrays, exactly one array-to-bytes codec (bytes,
//! vlen-utf8, vlen-bytes) serialises, and bytes-to-bytes codecs (gzip, zstd,
//! blosc, crc32c) transform the serialised bytes. `sharding_indexed` is an
//! array-to-bytes codec holding whole inner codec chains. Codecs do no I/O.

mod chain;
mod config;
mod registry;

mod bitround;
mod blosc;
mod bytes;
mod cast_value;
mod categorize;
mod crc32c;
mod fletcher32;
mod gzip;
mod jenkins;
mod numcodecs;
mod numcodecs_alias;
mod numeric;
mod scale_offset;
mod sharding;
mod trailing_checksum;
mod transpose;
mod vlen;
mod zstd;

#[cfg(test)]
mod tests;

pub use chain::CodecChain;
pub use registry::{create_codec, register_codec, CodecFactory};

pub use self::bitround::BitRoundCodec;
pub use self::blosc::{BloscCodec, BloscCompressor, BloscShuffle};
pub use self::bytes::{BytesCodec, Endian};
pub use self::cast_value::{CastValueCodec, OutOfRange};
pub use self::categorize::CategorizeCodec;
pub use self::crc32c::Crc32cCodec;
pub use self::fletcher32::Fletcher32Codec;
pub use self::gzip::GzipCodec;
pub use self::jenkins::JenkinsLookup3Codec;
pub use self::numcodecs::{
    AsTypeCodec, Bz2Codec, Checksum32Codec, DeltaCodec, FixedScaleOffsetCodec, Lz4Codec, LzmaCodec,
    ShuffleCodec, ZlibCodec,
};
pub use self::numeric::Rounding;
pub use self::scale_offset::ScaleOffsetCodec;
pub use self::sharding::{morton_order, IndexLocation, ShardIndex, ShardingCodec, EMPTY_ENTRY};
pub use self::transpose::TransposeCodec;
pub use self::vlen::{VlenBytesCodec, VlenUtf8Codec};
pub use self::zstd::ZstdCodec;

use crate::dtype::{DataType, FillValue};
use crate::metadata::CodecMetadata;
use std::fmt::Debug;
use std::sync::Arc;

/// The shape, data type and fill value of one chunk at some stage of a codec chain.
#[derive(Clone, Debug, PartialEq)]
pub struct ChunkSpec {
    /// The chunk shape.
    pub shape: Vec<u64>,
    /// The element data type.
    pub data_type: DataType,
    /// The fill value.
    pub fill_value: FillValue,
}

impl ChunkSpec {
    /// Number of elements.
    pub fn num_elements(&self) -> u64 {
        self.shape.iter().product()
    }
    /// Size in bytes of the decoded chunk for fixed-size types.
    pub fn fixed_size(&self) -> Option<u64> {
        self.data_type
            .size()
            .map(|s| s as u64 * self.num_elements())
    }
}

/// Variable-length elements packed together: element `i` is
/// `data[offsets[i]..offsets[i + 1]]`; `offsets` has one entry more than
/// there are elements.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct VarBytes {
    /// The concatenated element bytes.
    pub data: Vec<u8>,
    /// Element boundaries, starting with 0.
    pub offsets: Vec<usize>,
}

impl VarBytes {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }
    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Element `i`.
    pub fn get(&self, i: usize) -> &[u8] {
        &self.data[self.offsets[i]..self.offsets[i + 1]]
    }
    /// Pack elements.
    pub fn from_elements<'a>(elements: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let mut v = VarBytes {
            data: Vec::new(),
            offsets: vec![0],
        };
        for e in elements {
            v.data.extend_from_slice(e);
            v.offsets.push(v.data.len());
        }
        v
    }
}

/// The decoded form of one chunk: C-order elements.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ArrayBytes {
    /// Fixed-size elements, native-endian bytes.
    Fixed(Vec<u8>),
    /// Variable-length elements.
    Variable(VarBytes),
}

/// An error from a codec.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// No codec is registered under this name.
    #[error("unknown codec {name:?}")]
    UnknownCodec {
        /// The name from the metadata.
        name: String,
    },
    /// The codec's configuration is invalid.
    #[error("invalid configuration for codec {codec}: {message}")]
    InvalidConfiguration {
        /// The codec name.
        codec: String,
        /// What is wrong.
        message: String,
    },
    /// The codec cannot be used with this data type or chain position.
    #[error("codec {codec} cannot be used here: {message}")]
    Incompatible {
        /// The codec name.
        codec: String,
        /// What is wrong.
        message: String,
    },
    /// The codec chain is not array-to-array*, array-to-bytes, bytes-to-bytes*.
    #[error("invalid codec chain: {0}")]
    InvalidChain(String),
    /// A chunk is too large: its size overflows, or its decoded size passes
    /// [`crate::limits::max_chunk_bytes`].
    #[error("chunk shape {shape:?} of {data_type}: {message}")]
    ChunkTooLarge {
        /// The chunk shape.
        shape: Vec<u64>,
        /// The data type.
        data_type: String,
        /// What is too large.
        message: String,
    },
    /// Encoded data could not be decoded.
    #[error("{codec} decode failed: {message}")]
    Decode {
        /// The codec name.
        codec: String,
        /// What went wrong.
        message: String,
    },
    /// Data could not be encoded.
    #[error("{codec} encode failed: {message}")]
    Encode {
        /// The codec name.
        codec: String,
        /// What went wrong.
        message: String,
    },
    /// A checksum did not match.
    #[error("{codec} checksum mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    Checksum {
        /// The codec name.
        codec: String,
        /// The stored checksum.
        stored: u32,
        /// The checksum of the data.
        computed: u32,
    },
    /// Decoded data has the wrong size for the chunk.
    #[error("{codec} decoded {actual} bytes, expected {expected}")]
    SizeMismatch {
        /// The codec name.
        codec: String,
        /// Bytes expected.
        expected: u64,
        /// Bytes found.
        actual: u64,
    },
    /// Decoding would produce more bytes than allowed.
    #[error("{codec} output exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The codec name.
        codec: String,
        /// The limit.
        limit: u64,
    },
}

/// What every codec has: a name and the configuration it writes.
pub trait CodecTraits: Send + Sync + Debug {
    /// The name written in metadata.
    fn name(&self) -> &str;
    /// The metadata entry for this codec, exactly as zarr-python writes it.
    fn to_metadata(&self) -> CodecMetadata;
}

/// How an array-to-array codec relates the elements of its decoded and
/// encoded arrays: what lets a read of part of a shard behind the codec
/// decode only the inner chunks it needs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AxisMap {
    /// Each encoded element depends on the decoded element at the same
    /// position alone (a cast, a scale, a rounding): decoding any box of
    /// the encoded array gives the same box of the decoded one.
    Elementwise,
    /// Encoded axis `i` is decoded axis `order[i]`, elements moved but not
    /// changed (`transpose`).
    Permute(Vec<usize>),
    /// Anything else (a running difference, bit packing): only the whole
    /// chunk decodes.
    Opaque,
}

/// A codec that maps an array to an array (for example `transpose`).
pub trait ArrayToArrayCodec: CodecTraits {
    /// How decoded and encoded elements correspond ([`AxisMap`]); the
    /// default, [`AxisMap::Opaque`], is always correct.
    fn axis_map(&self) -> AxisMap {
        AxisMap::Opaque
    }
    /// The spec of the encoded array, given the decoded one.
    fn encoded_spec(&self, decoded: &ChunkSpec) -> Result<ChunkSpec, CodecError>;
    /// Encode a chunk whose decoded spec is `decoded`.
    fn encode(&self, data: ArrayBytes, decoded: &ChunkSpec) -> Result<ArrayBytes, CodecError>;
    /// Decode a chunk back to the decoded spec `decoded`.
    fn decode(&self, data: ArrayBytes, decoded: &ChunkSpec) -> Result<ArrayBytes, CodecError>;
}

/// A codec that serialises an array to bytes (for example `bytes`, `vlen-utf8`).
pub trait ArrayToBytesCodec: CodecTraits {
    /// Serialise a chunk.
    fn encode(&self, data: ArrayBytes, spec: &ChunkSpec) -> Result<Vec<u8>, CodecError>;
    /// Deserialise a chunk. Must check that the bytes fit `spec` exactly.
    fn decode(&self, bytes: &[u8], spec: &ChunkSpec) -> Result<ArrayBytes, CodecError>;
    /// Deserialise a fixed-size chunk straight into `out` (`spec.fixed_size()` bytes).
    fn decode_into(
        &self,
        bytes: &[u8],
        spec: &ChunkSpec,
        out: &mut [u8],
    ) -> Result<(), CodecError> {
        match self.decode(bytes, spec)? {
            ArrayBytes::Fixed(v) if v.len() == out.len() => {
                out.copy_from_slice(&v);
                Ok(())
            }
            _ => Err(CodecError::SizeMismatch {
                codec: self.name().to_string(),
                expected: out.len() as u64,
                actual: bytes.len() as u64,
            }),
        }
    }
    /// Turn serialised bytes already in `data` (`spec.fixed_size()` bytes) into
    /// decoded elements in place (byte swapping, validation). Returns
    /// `Ok(false)` when the codec has no in-place path.
    fn decode_in_place(&self, _spec: &ChunkSpec, _data: &mut [u8]) -> Result<bool, CodecError> {
        Ok(false)
    }
    /// The encoded size when it is fixed by the spec.
    fn encoded_size(&self, spec: &ChunkSpec) -> Option<u64>;
    /// This codec as the sharding codec, when it is one (the array engine
    /// then reads parts of shards).
    fn as_sharding(&self) -> Option<&ShardingCodec> {
        None
    }
}

/// A codec that transforms bytes (compressors and checksums).
pub trait BytesToBytesCodec: CodecTraits {
    /// Encode bytes.
    fn encode(&self, decoded: &[u8]) -> Result<Vec<u8>, CodecError>;
    /// Decode bytes, producing at most `max_decoded` bytes (a larger output is
    /// [`CodecError::TooLarge`], never a huge allocation).
    fn decode(&self, encoded: &[u8], max_decoded: usize) -> Result<Vec<u8>, CodecError>;
    /// Decode into `out` when the decoded size is known exactly. Returns
    /// `Ok(false)` when this codec has no such path (the caller then uses
    /// [`BytesToBytesCodec::decode`]). A size other than `out.len()` is an error.
    fn decode_into(&self, _encoded: &[u8], _out: &mut [u8]) -> Result<bool, CodecError> {
        Ok(false)
    }
    /// The encoded size for a decoded size, when it is fixed (checksums).
    fn encoded_size(&self, decoded_len: u64) -> Option<u64>;
}

/// A codec of any kind, as the registry builds it.
#[derive(Clone, Debug)]
pub enum Codec {
    /// An array-to-array codec.
    ArrayToArray(Arc<dyn ArrayToArrayCodec>),
    /// An array-to-bytes codec.
    ArrayToBytes(Arc<dyn ArrayToBytesCodec>),
    /// A bytes-to-bytes codec.
    BytesToBytes(Arc<dyn BytesToBytesCodec>),
}

impl Codec {
    /// The codec's metadata entry.
    pub fn to_metadata(&self) -> CodecMetadata {
        match self {
            Codec::ArrayToArray(c) => c.to_metadata(),
            Codec::ArrayToBytes(c) => c.to_metadata(),
            Codec::BytesToBytes(c) => c.to_metadata(),
        }
    }
}
