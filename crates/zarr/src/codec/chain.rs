//! [`CodecChain`]: a validated codec pipeline that resolves specs stage by
//! stage, encodes, and decodes (straight into caller memory where it can).

use super::{
    create_codec, ArrayBytes, ArrayToArrayCodec, ArrayToBytesCodec, BytesToBytesCodec, ChunkSpec,
    Codec, CodecError,
};
use crate::metadata::CodecMetadata;
use std::sync::Arc;

/// The default upper bound on the decoded size of one variable-length chunk.
pub const DEFAULT_MAX_VARIABLE_CHUNK_BYTES: usize = 1 << 31;

fn too_large(spec: &ChunkSpec, message: String) -> CodecError {
    CodecError::ChunkTooLarge {
        shape: spec.shape.clone(),
        data_type: spec.data_type.to_string(),
        message,
    }
}

/// The decoded byte size of a chunk of `spec` (`None` for variable-length
/// types), refusing element counts and sizes that overflow a `u64`.
fn spec_bytes(spec: &ChunkSpec) -> Result<Option<u64>, CodecError> {
    let n = crate::limits::checked_product(&spec.shape)
        .ok_or_else(|| too_large(spec, "the element count overflows a 64-bit integer".into()))?;
    match spec.data_type.size() {
        None => Ok(None),
        Some(size) => n
            .checked_mul(size as u64)
            .map(Some)
            .ok_or_else(|| too_large(spec, "the byte size overflows a 64-bit integer".into())),
    }
}

/// A codec pipeline: array-to-array codecs, exactly one array-to-bytes codec,
/// then bytes-to-bytes codecs.
///
/// ```
/// use zarr::codec::{ArrayBytes, ChunkSpec, CodecChain};
/// use zarr::dtype::{DataType, FillValue};
/// use zarr::metadata::CodecMetadata;
/// let spec = ChunkSpec { shape: vec![4], data_type: DataType::UInt16, fill_value: FillValue::default_for(DataType::UInt16) };
/// let codecs: Vec<CodecMetadata> = serde_json::from_str(
///     r#"[{"name":"bytes","configuration":{"endian":"big"}},{"name":"zstd","configuration":{"level":0,"checksum":false}}]"#,
/// ).unwrap();
/// let chain = CodecChain::from_metadata(&codecs, &spec).unwrap();
/// let data: Vec<u8> = [1u16, 2, 3, 4].iter().flat_map(|v| v.to_ne_bytes()).collect();
/// let encoded = chain.encode(ArrayBytes::Fixed(data.clone()), &spec).unwrap();
/// assert_eq!(chain.decode(&encoded, &spec).unwrap(), ArrayBytes::Fixed(data));
/// ```
#[derive(Clone, Debug)]
pub struct CodecChain {
    array_to_array: Vec<Arc<dyn ArrayToArrayCodec>>,
    array_to_bytes: Arc<dyn ArrayToBytesCodec>,
    bytes_to_bytes: Vec<Arc<dyn BytesToBytesCodec>>,
    max_variable_chunk_bytes: usize,
}

impl CodecChain {
    /// Build from codecs already constructed, checking their order.
    pub fn new(codecs: Vec<Codec>) -> Result<Self, CodecError> {
        let mut array_to_array = Vec::new();
        let mut array_to_bytes = None;
        let mut bytes_to_bytes = Vec::new();
        for c in codecs {
            match c {
                Codec::ArrayToArray(c) => {
                    if array_to_bytes.is_some() {
                        return Err(CodecError::InvalidChain(format!(
                            "array-to-array codec {} after the array-to-bytes codec",
                            c.name()
                        )));
                    }
                    array_to_array.push(c);
                }
                Codec::ArrayToBytes(c) => {
                    if let Some(prev) = &array_to_bytes {
                        let prev: &Arc<dyn ArrayToBytesCodec> = prev;
                        return Err(CodecError::InvalidChain(format!(
                            "two array-to-bytes codecs: {} and {}",
                            prev.name(),
                            c.name()
                        )));
                    }
                    array_to_bytes = Some(c);
                }
                Codec::BytesToBytes(c) => {
                    if array_to_bytes.is_none() {
                        return Err(CodecError::InvalidChain(format!(
                            "bytes-to-bytes codec {} before the array-to-bytes codec",
                            c.name()
                        )));
                    }
                    bytes_to_bytes.push(c);
                }
            }
        }
        let array_to_bytes = array_to_bytes
            .ok_or_else(|| CodecError::InvalidChain("no array-to-bytes codec".into()))?;
        Ok(CodecChain {
            array_to_array,
            array_to_bytes,
            bytes_to_bytes,
            max_variable_chunk_bytes: DEFAULT_MAX_VARIABLE_CHUNK_BYTES,
        })
    }

    /// Build from metadata entries for an array whose chunks have `spec`,
    /// resolving specs stage by stage (each codec is built against the spec it sees).
    pub fn from_metadata(codecs: &[CodecMetadata], spec: &ChunkSpec) -> Result<Self, CodecError> {
        let bytes = spec_bytes(spec)?;
        let mut built = Vec::with_capacity(codecs.len());
        let mut stage = spec.clone();
        for m in codecs {
            let c = create_codec(m, &stage)?;
            if let Codec::ArrayToArray(aa) = &c {
                stage = aa.encoded_spec(&stage)?;
            }
            built.push(c);
        }
        let chain = Self::new(built)?;
        chain.resolve(spec)?;
        chain.check_limit(spec, bytes)?;
        Ok(chain)
    }

    /// Refuse chunks that are decoded whole and are larger than
    /// [`crate::limits::max_chunk_bytes`] (`bytes`: the decoded size, from
    /// [`spec_bytes`]). Shards are read in parts: their inner chunks are
    /// checked instead.
    fn check_limit(&self, spec: &ChunkSpec, bytes: Option<u64>) -> Result<(), CodecError> {
        let limit = crate::limits::max_chunk_bytes();
        match bytes {
            Some(bytes) if bytes > limit && self.array_to_bytes.as_sharding().is_none() => {
                Err(too_large(
                    spec,
                    format!(
                        "{bytes} bytes decoded, more than the limit of {limit} \
                         (zarr::limits::max_chunk_bytes, ZARR_RS_MAX_CHUNK_BYTES)"
                    ),
                ))
            }
            _ => Ok(()),
        }
    }

    /// Set the bound on the decoded size of one variable-length chunk.
    pub fn with_max_variable_chunk_bytes(mut self, limit: usize) -> Self {
        self.max_variable_chunk_bytes = limit;
        self
    }

    /// The metadata entries of every codec, in order.
    pub fn to_metadata(&self) -> Vec<CodecMetadata> {
        self.array_to_array
            .iter()
            .map(|c| c.to_metadata())
            .chain(std::iter::once(self.array_to_bytes.to_metadata()))
            .chain(self.bytes_to_bytes.iter().map(|c| c.to_metadata()))
            .collect()
    }

    /// The same chain with [`ShardingCodec::with_write_empty_chunks`](super::ShardingCodec::with_write_empty_chunks)
    /// applied to its sharding codec, if it has one.
    pub fn with_write_empty_chunks(mut self, write: bool) -> Self {
        if let Some(sharding) = self.array_to_bytes.as_sharding() {
            self.array_to_bytes = Arc::new(sharding.clone().with_write_empty_chunks(write));
        }
        self
    }

    /// This chain behind the array-to-array codecs `first` (which run
    /// before this chain's own when encoding). The array engine decodes the
    /// inner chunks of a shard stored behind array-to-array codecs with it.
    pub(crate) fn behind(&self, first: &[Arc<dyn ArrayToArrayCodec>]) -> CodecChain {
        CodecChain {
            array_to_array: first.iter().chain(&self.array_to_array).cloned().collect(),
            array_to_bytes: self.array_to_bytes.clone(),
            bytes_to_bytes: self.bytes_to_bytes.clone(),
            max_variable_chunk_bytes: self.max_variable_chunk_bytes,
        }
    }

    /// The array-to-bytes codec.
    pub fn array_to_bytes(&self) -> &Arc<dyn ArrayToBytesCodec> {
        &self.array_to_bytes
    }
    /// The array-to-array codecs.
    pub fn array_to_array(&self) -> &[Arc<dyn ArrayToArrayCodec>] {
        &self.array_to_array
    }
    /// The bytes-to-bytes codecs.
    pub fn bytes_to_bytes(&self) -> &[Arc<dyn BytesToBytesCodec>] {
        &self.bytes_to_bytes
    }

    /// The spec the array-to-bytes codec sees, given the decoded chunk spec.
    pub fn resolve(&self, spec: &ChunkSpec) -> Result<ChunkSpec, CodecError> {
        let mut stage = spec.clone();
        for c in &self.array_to_array {
            stage = c.encoded_spec(&stage)?;
        }
        Ok(stage)
    }

    /// The encoded size of a chunk when every codec's output size is fixed.
    pub fn encoded_size(&self, spec: &ChunkSpec) -> Option<u64> {
        let inner = self.resolve(spec).ok()?;
        let mut n = self.array_to_bytes.encoded_size(&inner)?;
        for c in &self.bytes_to_bytes {
            n = c.encoded_size(n)?;
        }
        Some(n)
    }

    /// Encode one chunk.
    pub fn encode(&self, data: ArrayBytes, spec: &ChunkSpec) -> Result<Vec<u8>, CodecError> {
        let mut stage = spec.clone();
        let mut data = data;
        for c in &self.array_to_array {
            let next = c.encoded_spec(&stage)?;
            data = c.encode(data, &stage)?;
            stage = next;
        }
        let mut bytes = self.array_to_bytes.encode(data, &stage)?;
        for c in &self.bytes_to_bytes {
            bytes = c.encode(&bytes)?;
        }
        Ok(bytes)
    }

    /// The bounds on the decoded output of each bytes-to-bytes codec (the
    /// bytes the array-to-bytes codec or the next stage will consume).
    fn stage_limits(&self, inner: &ChunkSpec) -> Vec<usize> {
        // limits[i] bounds the decoded output of bytes_to_bytes[i].
        let mut limits = vec![self.max_variable_chunk_bytes; self.bytes_to_bytes.len()];
        if let Some(mut n) = self.array_to_bytes.encoded_size(inner) {
            for (i, c) in self.bytes_to_bytes.iter().enumerate() {
                limits[i] = usize::try_from(n).unwrap_or(usize::MAX);
                match c.encoded_size(n) {
                    Some(m) => n = m,
                    None => {
                        // Later stages are variable-size: bound them by the worst case
                        // of any compressor (a generous multiple of the decoded size).
                        let bound = usize::try_from(n)
                            .unwrap_or(usize::MAX)
                            .saturating_mul(2)
                            .saturating_add(1 << 16);
                        for l in limits.iter_mut().skip(i + 1) {
                            *l = bound;
                        }
                        break;
                    }
                }
            }
        }
        limits
    }

    /// Run the bytes-to-bytes codecs backwards; the result feeds the array-to-bytes codec.
    fn decode_bytes(
        &self,
        encoded: &[u8],
        inner: &ChunkSpec,
    ) -> Result<Option<Vec<u8>>, CodecError> {
        if self.bytes_to_bytes.is_empty() {
            return Ok(None);
        }
        let limits = self.stage_limits(inner);
        let mut cur: Option<Vec<u8>> = None;
        for (i, c) in self.bytes_to_bytes.iter().enumerate().rev() {
            let input: &[u8] = cur.as_deref().unwrap_or(encoded);
            cur = Some(c.decode(input, limits[i])?);
        }
        Ok(cur)
    }

    /// Decode one chunk.
    pub fn decode(&self, encoded: &[u8], spec: &ChunkSpec) -> Result<ArrayBytes, CodecError> {
        let mut specs = Vec::with_capacity(self.array_to_array.len() + 1);
        specs.push(spec.clone());
        for c in &self.array_to_array {
            let next = c.encoded_spec(specs.last().unwrap_or(spec))?;
            specs.push(next);
        }
        let inner = specs.last().unwrap_or(spec);
        let bytes = self.decode_bytes(encoded, inner)?;
        let mut data = self
            .array_to_bytes
            .decode(bytes.as_deref().unwrap_or(encoded), inner)?;
        for (c, s) in self.array_to_array.iter().zip(specs.iter()).rev() {
            data = c.decode(data, s)?;
        }
        Ok(data)
    }

    /// Decode one fixed-size chunk straight into `out`, which must be exactly
    /// `spec.fixed_size()` bytes. Without array-to-array codecs this avoids
    /// every intermediate copy the codecs allow.
    pub fn decode_into(
        &self,
        encoded: &[u8],
        spec: &ChunkSpec,
        out: &mut [u8],
    ) -> Result<(), CodecError> {
        let expected = spec.fixed_size().unwrap_or(0);
        if spec.fixed_size().is_none() || out.len() as u64 != expected {
            return Err(CodecError::SizeMismatch {
                codec: "pipeline".into(),
                expected,
                actual: out.len() as u64,
            });
        }
        if !self.array_to_array.is_empty() {
            return match self.decode(encoded, spec)? {
                ArrayBytes::Fixed(v) if v.len() == out.len() => {
                    out.copy_from_slice(&v);
                    Ok(())
                }
                other => Err(CodecError::SizeMismatch {
                    codec: "pipeline".into(),
                    expected,
                    actual: match other {
                        ArrayBytes::Fixed(v) => v.len() as u64,
                        ArrayBytes::Variable(v) => v.data.len() as u64,
                    },
                }),
            };
        }
        // When the innermost bytes-to-bytes codec's output is exactly the
        // array-to-bytes codec's input, it decodes straight into `out` (after
        // the outer codecs have run), and the array-to-bytes codec then fixes
        // the byte order in place.
        if let Some((first, outer)) = self.bytes_to_bytes.split_first() {
            if self.array_to_bytes.encoded_size(spec) == Some(expected) {
                let limits = self.stage_limits(spec);
                let mut cur: Option<Vec<u8>> = None;
                for (i, c) in outer.iter().enumerate().rev() {
                    let input: &[u8] = cur.as_deref().unwrap_or(encoded);
                    cur = Some(c.decode(input, limits[i + 1])?);
                }
                let input: &[u8] = cur.as_deref().unwrap_or(encoded);
                if first.decode_into(input, out)? {
                    if !self.array_to_bytes.decode_in_place(spec, out)? {
                        let copy = out.to_vec();
                        self.array_to_bytes.decode_into(&copy, spec, out)?;
                    }
                    return Ok(());
                }
                let bytes = first.decode(input, limits[0])?;
                return self.array_to_bytes.decode_into(&bytes, spec, out);
            }
        }
        let bytes = self.decode_bytes(encoded, spec)?;
        self.array_to_bytes
            .decode_into(bytes.as_deref().unwrap_or(encoded), spec, out)
    }
}
