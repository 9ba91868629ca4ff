//! numcodecs codecs that have no Zarr V3 core equivalent, under the names
//! zarr-python 3 gives them in V3 metadata (`numcodecs.zlib`, ...), and
//! used for Zarr V2 filters and compressors:
//!
//! - `numcodecs.zlib` (bytes-to-bytes): a zlib (RFC 1950) stream.
//! - `numcodecs.lz4` (bytes-to-bytes): numcodecs' LZ4 format, a 4-byte
//!   little-endian decoded size then one LZ4 block.
//! - `numcodecs.shuffle` (bytes-to-bytes): byte shuffle with `elementsize`.
//! - `numcodecs.delta` (array-to-array): differences of consecutive elements.
//! - `numcodecs.fixedscaleoffset` (array-to-array): `round((x - offset) * scale)`.
//! - `numcodecs.astype` (array-to-array): a cast to another numeric type.
//! - `numcodecs.bz2`, `numcodecs.lzma` (bytes-to-bytes): bzip2 and xz / lzma streams.
//! - `numcodecs.crc32`, `numcodecs.adler32` (bytes-to-bytes): 32-bit checksums
//!   (`numcodecs.fletcher32` lives in its own module, `fletcher32.rs`).
//! - `numcodecs.quantize` (array-to-array) and `numcodecs.packbits`
//!   (array-to-array, `bool` to packed `uint8`, as zarr-python 3 runs it).
//! - `numcodecs.bitround`, `numcodecs.jenkins_lookup3` and the V3 names of
//!   numcodecs' gzip / zstd / blosc live in `bitround.rs`, `jenkins.rs` and
//!   `numcodecs_alias.rs`.
//!
//! Array-to-array codecs work on values; their numpy type strings' byte
//! order matters only for the serialisation that follows (the V2 metadata
//! sets the `bytes` codec's endianness from them).

use super::config::{invalid, Config};
use super::{
    ArrayBytes, ArrayToArrayCodec, BytesToBytesCodec, ChunkSpec, Codec, CodecError, CodecTraits,
};
use crate::dtype::DataType;
use crate::metadata::CodecMetadata;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use flate2::Compression;
use half::f16;
use serde_json::{Map, Value};
use std::io::{Read, Write};
use std::sync::Arc;

fn decode_error(codec: &str, e: impl std::fmt::Display) -> CodecError {
    CodecError::Decode {
        codec: codec.into(),
        message: e.to_string(),
    }
}

fn too_large(codec: &str, limit: usize) -> CodecError {
    CodecError::TooLarge {
        codec: codec.into(),
        limit: limit as u64,
    }
}

// ---- zlib ----

const ZLIB: &str = "numcodecs.zlib";

/// numcodecs' `Zlib` compressor.
///
/// ```
/// use zarr::codec::{BytesToBytesCodec, ZlibCodec};
/// let c = ZlibCodec::new(1).unwrap();
/// let e = c.encode(b"abcabcabc").unwrap();
/// assert_eq!(c.decode(&e, 100).unwrap(), b"abcabcabc");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZlibCodec {
    level: u32,
}

impl ZlibCodec {
    /// A codec compressing at `level` (0 to 9).
    pub fn new(level: u32) -> Result<Self, CodecError> {
        if level > 9 {
            return Err(invalid(
                ZLIB,
                format!("\"level\" must be in 0..=9, got {level}"),
            ));
        }
        Ok(ZlibCodec { level })
    }
}

impl CodecTraits for ZlibCodec {
    fn name(&self) -> &str {
        ZLIB
    }
    fn to_metadata(&self) -> CodecMetadata {
        let mut m = Map::new();
        m.insert("level".into(), Value::from(self.level));
        CodecMetadata::new(ZLIB, Some(m))
    }
}

impl BytesToBytesCodec for ZlibCodec {
    fn encode(&self, decoded: &[u8]) -> Result<Vec<u8>, CodecError> {
        let mut enc = ZlibEncoder::new(Vec::new(), Compression::new(self.level));
        let err = |e: std::io::Error| CodecError::Encode {
            codec: ZLIB.into(),
            message: e.to_string(),
        };
        enc.write_all(decoded).map_err(err)?;
        enc.finish().map_err(err)
    }
    fn decode(&self, encoded: &[u8], max_decoded: usize) -> Result<Vec<u8>, CodecError> {
        let mut out = Vec::new();
        ZlibDecoder::new(encoded)
            .take((max_decoded as u64).saturating_add(1))
            .read_to_end(&mut out)
            .map_err(|e| decode_error(ZLIB, e))?;
        if out.len() > max_decoded {
            return Err(too_large(ZLIB, max_decoded));
        }
        Ok(out)
    }
    fn encoded_size(&self, _decoded_len: u64) -> Option<u64> {
        None
    }
}

fn create_zlib(metadata: &CodecMetadata, _spec: &ChunkSpec) -> Result<Codec, CodecError> {
    let cfg = Config::new(metadata, ZLIB, &["id", "level"], false)?;
    let level = cfg.int_in("level", 0..=9)?.unwrap_or(1);
    Ok(Codec::BytesToBytes(Arc::new(ZlibCodec::new(level as u32)?)))
}

// ---- lz4 ----

const LZ4: &str = "numcodecs.lz4";

/// numcodecs' `LZ4` compressor: the decoded size as 4 little-endian bytes,
/// then one LZ4 block. `acceleration` is kept for the metadata (the block
/// is always compressed at the default speed, which any LZ4 decoder reads).
///
/// ```
/// use zarr::codec::{BytesToBytesCodec, Lz4Codec};
/// let c = Lz4Codec::new(1);
/// let e = c.encode(b"abcabcabcabc").unwrap();
/// assert_eq!(&e[..4], &12u32.to_le_bytes());
/// assert_eq!(c.decode(&e, 100).unwrap(), b"abcabcabcabc");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lz4Codec {
    acceleration: i64,
}

impl Lz4Codec {
    /// A codec with numcodecs' `acceleration` setting.
    pub fn new(acceleration: i64) -> Self {
        Lz4Codec { acceleration }
    }
}

impl CodecTraits for Lz4Codec {
    fn name(&self) -> &str {
        LZ4
    }
    fn to_metadata(&self) -> CodecMetadata {
        let mut m = Map::new();
        m.insert("acceleration".into(), Value::from(self.acceleration));
        CodecMetadata::new(LZ4, Some(m))
    }
}

impl BytesToBytesCodec for Lz4Codec {
    fn encode(&self, decoded: &[u8]) -> Result<Vec<u8>, CodecError> {
        let n = u32::try_from(decoded.len()).map_err(|_| CodecError::Encode {
            codec: LZ4.into(),
            message: "input larger than 4 GiB".into(),
        })?;
        let mut out = n.to_le_bytes().to_vec();
        out.extend_from_slice(&lz4_flex::block::compress(decoded));
        Ok(out)
    }
    fn decode(&self, encoded: &[u8], max_decoded: usize) -> Result<Vec<u8>, CodecError> {
        if encoded.len() < 4 {
            return Err(decode_error(LZ4, "shorter than the 4-byte size header"));
        }
        let n = u32::from_le_bytes([encoded[0], encoded[1], encoded[2], encoded[3]]) as usize;
        if n > max_decoded {
            return Err(too_large(LZ4, max_decoded));
        }
        let out =
            lz4_flex::block::decompress(&encoded[4..], n).map_err(|e| decode_error(LZ4, e))?;
        if out.len() != n {
            return Err(CodecError::SizeMismatch {
                codec: LZ4.into(),
                expected: n as u64,
                actual: out.len() as u64,
            });
        }
        Ok(out)
    }
    fn encoded_size(&self, _decoded_len: u64) -> Option<u64> {
        None
    }
}

fn create_lz4(metadata: &CodecMetadata, _spec: &ChunkSpec) -> Result<Codec, CodecError> {
    let cfg = Config::new(metadata, LZ4, &["id", "acceleration"], false)?;
    let acceleration = cfg.int("acceleration")?.unwrap_or(1);
    Ok(Codec::BytesToBytes(Arc::new(Lz4Codec::new(acceleration))))
}

// ---- shuffle ----

const SHUFFLE: &str = "numcodecs.shuffle";

/// numcodecs' `Shuffle`: byte `j` of element `i` moves to `j * count + i`.
/// Bytes after the last whole element are kept in place.
///
/// ```
/// use zarr::codec::{BytesToBytesCodec, ShuffleCodec};
/// let c = ShuffleCodec::new(2).unwrap();
/// assert_eq!(c.encode(&[1, 2, 3, 4, 5]).unwrap(), vec![1, 3, 2, 4, 5]);
/// assert_eq!(c.decode(&[1, 3, 2, 4, 5], 5).unwrap(), vec![1, 2, 3, 4, 5]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShuffleCodec {
    elementsize: usize,
}

impl ShuffleCodec {
    /// A shuffle of `elementsize`-byte elements.
    pub fn new(elementsize: usize) -> Result<Self, CodecError> {
        if elementsize == 0 {
            return Err(invalid(SHUFFLE, "\"elementsize\" must be at least 1"));
        }
        Ok(ShuffleCodec { elementsize })
    }

    fn run(&self, input: &[u8], forward: bool) -> Vec<u8> {
        let e = self.elementsize;
        let count = input.len() / e;
        let mut out = input.to_vec();
        for i in 0..count {
            for j in 0..e {
                if forward {
                    out[j * count + i] = input[i * e + j];
                } else {
                    out[i * e + j] = input[j * count + i];
                }
            }
        }
        out
    }
}

impl CodecTraits for ShuffleCodec {
    fn name(&self) -> &str {
        SHUFFLE
    }
    fn to_metadata(&self) -> CodecMetadata {
        let mut m = Map::new();
        m.insert("elementsize".into(), Value::from(self.elementsize));
        CodecMetadata::new(SHUFFLE, Some(m))
    }
}

impl BytesToBytesCodec for ShuffleCodec {
    fn encode(&self, decoded: &[u8]) -> Result<Vec<u8>, CodecError> {
        Ok(self.run(decoded, true))
    }
    fn decode(&self, encoded: &[u8], max_decoded: usize) -> Result<Vec<u8>, CodecError> {
        if encoded.len() > max_decoded {
            return Err(too_large(SHUFFLE, max_decoded));
        }
        Ok(self.run(encoded, false))
    }
    fn encoded_size(&self, decoded_len: u64) -> Option<u64> {
        Some(decoded_len)
    }
}

fn create_shuffle(metadata: &CodecMetadata, spec: &ChunkSpec) -> Result<Codec, CodecError> {
    let cfg = Config::new(metadata, SHUFFLE, &["id", "elementsize"], false)?;
    let size = match cfg.int_in("elementsize", 1..=1 << 20)? {
        Some(s) => s as usize,
        None => spec.data_type.size().unwrap_or(1),
    };
    Ok(Codec::BytesToBytes(Arc::new(ShuffleCodec::new(size)?)))
}

// ---- numeric element access ----

fn numeric(codec: &str, key: &str, dt: DataType) -> Result<DataType, CodecError> {
    match dt {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Float16
        | DataType::Float32
        | DataType::Float64
        | DataType::Complex64
        | DataType::Complex128 => Ok(dt),
        _ => Err(CodecError::Incompatible {
            codec: codec.into(),
            message: format!("{key} {dt} is not a numeric type"),
        }),
    }
}

/// Element `i` of native-endian `data` of type `dt`, as f64 (complex: the real part).
fn get_f64(dt: DataType, data: &[u8], i: usize) -> f64 {
    macro_rules! rd {
        ($t:ty) => {{
            const N: usize = std::mem::size_of::<$t>();
            let mut a = [0u8; N];
            a.copy_from_slice(&data[i * N..(i + 1) * N]);
            <$t>::from_ne_bytes(a) as f64
        }};
    }
    match dt {
        DataType::Int8 => rd!(i8),
        DataType::Int16 => rd!(i16),
        DataType::Int32 => rd!(i32),
        DataType::Int64 => rd!(i64),
        DataType::UInt8 | DataType::Bool => rd!(u8),
        DataType::UInt16 => rd!(u16),
        DataType::UInt32 => rd!(u32),
        DataType::UInt64 => rd!(u64),
        DataType::Float16 => {
            let mut a = [0u8; 2];
            a.copy_from_slice(&data[i * 2..i * 2 + 2]);
            f16::from_ne_bytes(a).to_f64()
        }
        DataType::Float32 => rd!(f32),
        DataType::Float64 => rd!(f64),
        _ => 0.0,
    }
}

/// Store `v` (cast as numpy's `astype` casts in range) as element `i`.
fn put_f64(dt: DataType, data: &mut [u8], i: usize, v: f64) {
    macro_rules! wr {
        ($t:ty) => {{
            const N: usize = std::mem::size_of::<$t>();
            data[i * N..(i + 1) * N].copy_from_slice(&(v as $t).to_ne_bytes());
        }};
    }
    match dt {
        DataType::Int8 => wr!(i8),
        DataType::Int16 => wr!(i16),
        DataType::Int32 => wr!(i32),
        DataType::Int64 => wr!(i64),
        DataType::UInt8 | DataType::Bool => wr!(u8),
        DataType::UInt16 => wr!(u16),
        DataType::UInt32 => wr!(u32),
        DataType::UInt64 => wr!(u64),
        DataType::Float16 => {
            data[i * 2..i * 2 + 2].copy_from_slice(&f16::from_f64(v).to_ne_bytes())
        }
        DataType::Float32 => wr!(f32),
        DataType::Float64 => wr!(f64),
        _ => {}
    }
}

fn fixed(codec: &str, data: ArrayBytes) -> Result<Vec<u8>, CodecError> {
    match data {
        ArrayBytes::Fixed(v) => Ok(v),
        ArrayBytes::Variable(_) => Err(CodecError::Incompatible {
            codec: codec.into(),
            message: "variable-length data".into(),
        }),
    }
}

fn dtype_key(cfg: &Config<'_>, key: &str) -> Result<Option<DataType>, CodecError> {
    match cfg.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => DataType::from_numpy_str(s)
            .map(|(d, _)| Some(d))
            .map_err(|e| cfg.error(key, e)),
        Some(v) => Err(cfg.error(key, format!("must be a numpy type string, got {v}"))),
    }
}

fn with_type(spec: &ChunkSpec, dt: DataType) -> ChunkSpec {
    ChunkSpec {
        shape: spec.shape.clone(),
        data_type: dt,
        fill_value: crate::dtype::FillValue::default_for(dt),
    }
}

// ---- delta ----

const DELTA: &str = "numcodecs.delta";

/// numcodecs' `Delta`: the first element, then differences of consecutive
/// elements (wrapping for integers), in the same numeric type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeltaCodec {
    dtype: String,
    astype: String,
    data_type: DataType,
}

impl DeltaCodec {
    fn run(&self, data: &mut [u8], forward: bool) {
        macro_rules! go {
            ($t:ty, $sub:expr, $add:expr) => {{
                const N: usize = std::mem::size_of::<$t>();
                let n = data.len() / N;
                let rd = |d: &[u8], i: usize| {
                    let mut a = [0u8; N];
                    a.copy_from_slice(&d[i * N..(i + 1) * N]);
                    <$t>::from_ne_bytes(a)
                };
                if forward {
                    for i in (1..n).rev() {
                        let v: $t = $sub(rd(data, i), rd(data, i - 1));
                        data[i * N..(i + 1) * N].copy_from_slice(&v.to_ne_bytes());
                    }
                } else {
                    for i in 1..n {
                        let v: $t = $add(rd(data, i), rd(data, i - 1));
                        data[i * N..(i + 1) * N].copy_from_slice(&v.to_ne_bytes());
                    }
                }
            }};
        }
        macro_rules! int {
            ($t:ty) => {
                go!($t, <$t>::wrapping_sub, <$t>::wrapping_add)
            };
        }
        macro_rules! float {
            ($t:ty) => {
                go!($t, |a: $t, b: $t| a - b, |a: $t, b: $t| a + b)
            };
        }
        match self.data_type {
            DataType::Int8 => int!(i8),
            DataType::Int16 => int!(i16),
            DataType::Int32 => int!(i32),
            DataType::Int64 => int!(i64),
            DataType::UInt8 => int!(u8),
            DataType::UInt16 => int!(u16),
            DataType::UInt32 => int!(u32),
            DataType::UInt64 => int!(u64),
            DataType::Float16 => float!(f16),
            DataType::Float32 => float!(f32),
            DataType::Float64 => float!(f64),
            _ => {}
        }
    }
}

impl CodecTraits for DeltaCodec {
    fn name(&self) -> &str {
        DELTA
    }
    fn to_metadata(&self) -> CodecMetadata {
        let mut m = Map::new();
        m.insert("dtype".into(), Value::from(self.dtype.clone()));
        m.insert("astype".into(), Value::from(self.astype.clone()));
        CodecMetadata::new(DELTA, Some(m))
    }
}

impl ArrayToArrayCodec for DeltaCodec {
    fn encoded_spec(&self, decoded: &ChunkSpec) -> Result<ChunkSpec, CodecError> {
        Ok(decoded.clone())
    }
    fn encode(&self, data: ArrayBytes, _decoded: &ChunkSpec) -> Result<ArrayBytes, CodecError> {
        let mut v = fixed(DELTA, data)?;
        self.run(&mut v, true);
        Ok(ArrayBytes::Fixed(v))
    }
    fn decode(&self, data: ArrayBytes, _decoded: &ChunkSpec) -> Result<ArrayBytes, CodecError> {
        let mut v = fixed(DELTA, data)?;
        self.run(&mut v, false);
        Ok(ArrayBytes::Fixed(v))
    }
}

fn create_delta(metadata: &CodecMetadata, spec: &ChunkSpec) -> Result<Codec, CodecError> {
    let cfg = Config::new(metadata, DELTA, &["id", "dtype", "astype"], false)?;
    let dtype = dtype_key(&cfg, "dtype")?.unwrap_or(spec.data_type);
    let astype = dtype_key(&cfg, "astype")?.unwrap_or(dtype);
    numeric(DELTA, "dtype", dtype)?;
    if dtype != spec.data_type || astype != dtype {
        return Err(CodecError::Incompatible {
            codec: DELTA.into(),
            message: format!(
                "only dtype = astype = the array's data type is supported (array {}, dtype {dtype}, astype {astype})",
                spec.data_type
            ),
        });
    }
    let s = |k: &str| {
        cfg.get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| dtype.numpy_str().map(str::to_string))
            .unwrap_or_default()
    };
    Ok(Codec::ArrayToArray(Arc::new(DeltaCodec {
        dtype: s("dtype"),
        astype: s("astype"),
        data_type: dtype,
    })))
}

// ---- fixedscaleoffset ----

const FSO: &str = "numcodecs.fixedscaleoffset";

/// numcodecs' `FixedScaleOffset`: encode `round_half_even((x - offset) *
/// scale)` as `astype`; decode `y / scale + offset` as `dtype`.
#[derive(Clone, Debug, PartialEq)]
pub struct FixedScaleOffsetCodec {
    config: Map<String, Value>,
    scale: f64,
    offset: f64,
    dtype: DataType,
    astype: DataType,
}

impl CodecTraits for FixedScaleOffsetCodec {
    fn name(&self) -> &str {
        FSO
    }
    fn to_metadata(&self) -> CodecMetadata {
        CodecMetadata::new(FSO, Some(self.config.clone()))
    }
}

impl ArrayToArrayCodec for FixedScaleOffsetCodec {
    fn axis_map(&self) -> super::AxisMap {
        super::AxisMap::Elementwise
    }

    fn encoded_spec(&self, decoded: &ChunkSpec) -> Result<ChunkSpec, CodecError> {
        Ok(with_type(decoded, self.astype))
    }
    fn encode(&self, data: ArrayBytes, decoded: &ChunkSpec) -> Result<ArrayBytes, CodecError> {
        let v = fixed(FSO, data)?;
        let n = decoded.num_elements() as usize;
        let mut out = vec![0u8; n * self.astype.size().unwrap_or(0)];
        for i in 0..n {
            let x = get_f64(self.dtype, &v, i);
            // numpy computes in float32 for float32 (and float16) arrays.
            let y = match self.dtype {
                DataType::Float32 | DataType::Float16 => {
                    ((x as f32 - self.offset as f32) * self.scale as f32).round_ties_even() as f64
                }
                _ => ((x - self.offset) * self.scale).round_ties_even(),
            };
            put_f64(self.astype, &mut out, i, y);
        }
        Ok(ArrayBytes::Fixed(out))
    }
    fn decode(&self, data: ArrayBytes, decoded: &ChunkSpec) -> Result<ArrayBytes, CodecError> {
        let v = fixed(FSO, data)?;
        let n = decoded.num_elements() as usize;
        let mut out = vec![0u8; n * self.dtype.size().unwrap_or(0)];
        for i in 0..n {
            let y = get_f64(self.astype, &v, i);
            put_f64(self.dtype, &mut out, i, y / self.scale + self.offset);
        }
        Ok(ArrayBytes::Fixed(out))
    }
}

fn create_fso(metadata: &CodecMetadata, spec: &ChunkSpec) -> Result<Codec, CodecError> {
    let cfg = Config::new(
        metadata,
        FSO,
        &["id", "scale", "offset", "dtype", "astype"],
        true,
    )?;
    let num = |k: &str| match cfg.get(k) {
        Some(Value::Number(n)) => n.as_f64().ok_or_else(|| cfg.error(k, "must be a number")),
        Some(v) => Err(cfg.error(k, format!("must be a number, got {v}"))),
        None => Err(cfg.error(k, "is required")),
    };
    let scale = num("scale")?;
    let offset = num("offset")?;
    let dtype = dtype_key(&cfg, "dtype")?.ok_or_else(|| cfg.error("dtype", "is required"))?;
    let astype = dtype_key(&cfg, "astype")?.unwrap_or(dtype);
    numeric(FSO, "dtype", dtype)?;
    numeric(FSO, "astype", astype)?;
    if matches!(dtype, DataType::Complex64 | DataType::Complex128)
        || matches!(astype, DataType::Complex64 | DataType::Complex128)
        || dtype != spec.data_type
    {
        return Err(CodecError::Incompatible {
            codec: FSO.into(),
            message: format!(
                "dtype {dtype} must be the array's real data type {}",
                spec.data_type
            ),
        });
    }
    let mut config = metadata.configuration.clone().unwrap_or_default();
    config.remove("id");
    Ok(Codec::ArrayToArray(Arc::new(FixedScaleOffsetCodec {
        config,
        scale,
        offset,
        dtype,
        astype,
    })))
}

// ---- astype ----

const ASTYPE: &str = "numcodecs.astype";

/// numcodecs' `AsType`: store as `encode_dtype`, read back as `decode_dtype`
/// (values go through f64, so 64-bit integers beyond 2^53 lose precision).
#[derive(Clone, Debug, PartialEq)]
pub struct AsTypeCodec {
    config: Map<String, Value>,
    decode: DataType,
    encode: DataType,
}

impl CodecTraits for AsTypeCodec {
    fn name(&self) -> &str {
        ASTYPE
    }
    fn to_metadata(&self) -> CodecMetadata {
        CodecMetadata::new(ASTYPE, Some(self.config.clone()))
    }
}

impl ArrayToArrayCodec for AsTypeCodec {
    fn axis_map(&self) -> super::AxisMap {
        super::AxisMap::Elementwise
    }

    fn encoded_spec(&self, decoded: &ChunkSpec) -> Result<ChunkSpec, CodecError> {
        Ok(with_type(decoded, self.encode))
    }
    fn encode(&self, data: ArrayBytes, decoded: &ChunkSpec) -> Result<ArrayBytes, CodecError> {
        cast(data, decoded, self.decode, self.encode)
    }
    fn decode(&self, data: ArrayBytes, decoded: &ChunkSpec) -> Result<ArrayBytes, CodecError> {
        cast(data, decoded, self.encode, self.decode)
    }
}

fn cast(
    data: ArrayBytes,
    spec: &ChunkSpec,
    from: DataType,
    to: DataType,
) -> Result<ArrayBytes, CodecError> {
    let v = fixed(ASTYPE, data)?;
    if from == to {
        return Ok(ArrayBytes::Fixed(v));
    }
    let n = spec.num_elements() as usize;
    let mut out = vec![0u8; n * to.size().unwrap_or(0)];
    for i in 0..n {
        put_f64(to, &mut out, i, get_f64(from, &v, i));
    }
    Ok(ArrayBytes::Fixed(out))
}

fn create_astype(metadata: &CodecMetadata, spec: &ChunkSpec) -> Result<Codec, CodecError> {
    let cfg = Config::new(
        metadata,
        ASTYPE,
        &["id", "encode_dtype", "decode_dtype"],
        true,
    )?;
    let encode =
        dtype_key(&cfg, "encode_dtype")?.ok_or_else(|| cfg.error("encode_dtype", "is required"))?;
    let decode = dtype_key(&cfg, "decode_dtype")?.unwrap_or(spec.data_type);
    for (k, d) in [("encode_dtype", encode), ("decode_dtype", decode)] {
        numeric(ASTYPE, k, d)?;
        if matches!(d, DataType::Complex64 | DataType::Complex128) {
            return Err(cfg.error(k, "complex types are not supported"));
        }
    }
    if decode != spec.data_type {
        return Err(CodecError::Incompatible {
            codec: ASTYPE.into(),
            message: format!(
                "decode_dtype {decode} is not the array's data type {}",
                spec.data_type
            ),
        });
    }
    let mut config = metadata.configuration.clone().unwrap_or_default();
    config.remove("id");
    Ok(Codec::ArrayToArray(Arc::new(AsTypeCodec {
        config,
        decode,
        encode,
    })))
}

// ---- bz2 ----

const BZ2: &str = "numcodecs.bz2";

/// numcodecs' `BZ2` compressor: a bzip2 stream (several concatenated
/// streams decode as one, as Python's `bz2` reads them).
///
/// ```
/// use zarr::codec::{Bz2Codec, BytesToBytesCodec};
/// let c = Bz2Codec::new(1).unwrap();
/// let e = c.encode(b"abcabcabc").unwrap();
/// assert_eq!(c.decode(&e, 100).unwrap(), b"abcabcabc");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bz2Codec {
    level: u32,
}

impl Bz2Codec {
    /// A codec compressing at `level` (1 to 9).
    pub fn new(level: u32) -> Result<Self, CodecError> {
        if !(1..=9).contains(&level) {
            return Err(invalid(
                BZ2,
                format!("\"level\" must be in 1..=9, got {level}"),
            ));
        }
        Ok(Bz2Codec { level })
    }
}

impl CodecTraits for Bz2Codec {
    fn name(&self) -> &str {
        BZ2
    }
    fn to_metadata(&self) -> CodecMetadata {
        let mut m = Map::new();
        m.insert("level".into(), Value::from(self.level));
        CodecMetadata::new(BZ2, Some(m))
    }
}

fn read_limited(codec: &str, mut r: impl Read, max_decoded: usize) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    (&mut r)
        .take((max_decoded as u64).saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| decode_error(codec, e))?;
    if out.len() > max_decoded {
        return Err(too_large(codec, max_decoded));
    }
    Ok(out)
}

impl BytesToBytesCodec for Bz2Codec {
    fn encode(&self, decoded: &[u8]) -> Result<Vec<u8>, CodecError> {
        let mut enc = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::new(self.level));
        let err = |e: std::io::Error| CodecError::Encode {
            codec: BZ2.into(),
            message: e.to_string(),
        };
        enc.write_all(decoded).map_err(err)?;
        enc.finish().map_err(err)
    }
    fn decode(&self, encoded: &[u8], max_decoded: usize) -> Result<Vec<u8>, CodecError> {
        read_limited(BZ2, bzip2::read::MultiBzDecoder::new(encoded), max_decoded)
    }
    fn encoded_size(&self, _decoded_len: u64) -> Option<u64> {
        None
    }
}

fn create_bz2(metadata: &CodecMetadata, _spec: &ChunkSpec) -> Result<Codec, CodecError> {
    let cfg = Config::new(metadata, BZ2, &["id", "level"], false)?;
    let level = cfg.int_in("level", 1..=9)?.unwrap_or(1);
    Ok(Codec::BytesToBytes(Arc::new(Bz2Codec::new(level as u32)?)))
}

// ---- lzma ----

const LZMA: &str = "numcodecs.lzma";

/// numcodecs' `LZMA` compressor in the `.xz` format (`format` 1, the
/// default) or the legacy `.lzma` format (`format` 2), with a `check`
/// (-1: the format's default) and a `preset` (default 6). Raw streams with
/// custom `filters` are not supported.
///
/// ```
/// use zarr::codec::{BytesToBytesCodec, LzmaCodec};
/// let c = LzmaCodec::new(1, -1, None).unwrap();
/// let e = c.encode(b"abcabcabc").unwrap();
/// assert_eq!(c.decode(&e, 100).unwrap(), b"abcabcabc");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LzmaCodec {
    format: i64,
    check: i64,
    preset: Option<u32>,
}

impl LzmaCodec {
    /// A codec with numcodecs' `format`, `check` and `preset`.
    pub fn new(format: i64, check: i64, preset: Option<u32>) -> Result<Self, CodecError> {
        if format != 1 && format != 2 {
            return Err(invalid(
                LZMA,
                format!("\"format\" {format} is not supported (1: xz, 2: alone)"),
            ));
        }
        if ![-1, 0, 1, 4, 10].contains(&check) {
            return Err(invalid(LZMA, format!("unknown \"check\" {check}")));
        }
        if preset.is_some_and(|p| p & 0x7fff_ffff > 9) {
            return Err(invalid(
                LZMA,
                "\"preset\" must be in 0..=9 (| 0x80000000 for extreme)",
            ));
        }
        Ok(LzmaCodec {
            format,
            check,
            preset,
        })
    }

    fn stream(&self) -> Result<liblzma::stream::Stream, CodecError> {
        use liblzma::stream::{Check, LzmaOptions, Stream};
        let err = |e: liblzma::stream::Error| CodecError::Encode {
            codec: LZMA.into(),
            message: e.to_string(),
        };
        let preset = self.preset.unwrap_or(6);
        if self.format == 2 {
            let opts = LzmaOptions::new_preset(preset).map_err(err)?;
            return Stream::new_lzma_encoder(&opts).map_err(err);
        }
        let check = match self.check {
            0 => Check::None,
            1 => Check::Crc32,
            10 => Check::Sha256,
            _ => Check::Crc64,
        };
        Stream::new_easy_encoder(preset, check).map_err(err)
    }
}

impl CodecTraits for LzmaCodec {
    fn name(&self) -> &str {
        LZMA
    }
    fn to_metadata(&self) -> CodecMetadata {
        let mut m = Map::new();
        m.insert("format".into(), Value::from(self.format));
        m.insert("check".into(), Value::from(self.check));
        m.insert(
            "preset".into(),
            self.preset.map(Value::from).unwrap_or(Value::Null),
        );
        m.insert("filters".into(), Value::Null);
        CodecMetadata::new(LZMA, Some(m))
    }
}

impl BytesToBytesCodec for LzmaCodec {
    fn encode(&self, decoded: &[u8]) -> Result<Vec<u8>, CodecError> {
        let mut enc = liblzma::write::XzEncoder::new_stream(Vec::new(), self.stream()?);
        let err = |e: std::io::Error| CodecError::Encode {
            codec: LZMA.into(),
            message: e.to_string(),
        };
        enc.write_all(decoded).map_err(err)?;
        enc.finish().map_err(err)
    }
    fn decode(&self, encoded: &[u8], max_decoded: usize) -> Result<Vec<u8>, CodecError> {
        use liblzma::stream::{Stream, CONCATENATED};
        let stream = if self.format == 2 {
            Stream::new_lzma_decoder(u64::MAX)
        } else {
            Stream::new_stream_decoder(u64::MAX, CONCATENATED)
        }
        .map_err(|e| decode_error(LZMA, e))?;
        read_limited(
            LZMA,
            liblzma::read::XzDecoder::new_stream(encoded, stream),
            max_decoded,
        )
    }
    fn encoded_size(&self, _decoded_len: u64) -> Option<u64> {
        None
    }
}

fn create_lzma(metadata: &CodecMetadata, _spec: &ChunkSpec) -> Result<Codec, CodecError> {
    let cfg = Config::new(
        metadata,
        LZMA,
        &["id", "format", "check", "preset", "filters"],
        false,
    )?;
    if cfg.get("filters").is_some() {
        return Err(cfg.error("filters", "(custom LZMA filter chains) are not supported"));
    }
    let format = if cfg.is_null("format") {
        1
    } else {
        cfg.int("format")?.unwrap_or(1)
    };
    let check = if cfg.is_null("check") {
        -1
    } else {
        cfg.int("check")?.unwrap_or(-1)
    };
    let preset = if cfg.is_null("preset") {
        None
    } else {
        cfg.int_in("preset", 0..=u32::MAX as i64)?.map(|p| p as u32)
    };
    Ok(Codec::BytesToBytes(Arc::new(LzmaCodec::new(
        format, check, preset,
    )?)))
}

// ---- crc32 / adler32 ----

/// numcodecs' `CRC32` and `Adler32` checksums: the 32-bit checksum of the
/// data, little-endian, before (`location` `start`, the default) or after
/// (`end`) the data.
///
/// ```
/// use zarr::codec::{BytesToBytesCodec, Checksum32Codec};
/// let c = Checksum32Codec::crc32(true);
/// let e = c.encode(b"abc").unwrap();
/// assert_eq!(&e[..4], &0x352441c2u32.to_le_bytes());
/// assert_eq!(c.decode(&e, 3).unwrap(), b"abc");
/// let mut bad = e.clone();
/// bad[5] ^= 1;
/// assert!(c.decode(&bad, 3).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checksum32Codec {
    adler: bool,
    start: bool,
    location_given: bool,
}

const CRC32: &str = "numcodecs.crc32";
const ADLER32: &str = "numcodecs.adler32";

impl Checksum32Codec {
    /// CRC-32 (zlib's), at the start or the end.
    pub fn crc32(start: bool) -> Self {
        Checksum32Codec {
            adler: false,
            start,
            location_given: !start,
        }
    }
    /// Adler-32, at the start or the end.
    pub fn adler32(start: bool) -> Self {
        Checksum32Codec {
            adler: true,
            start,
            location_given: !start,
        }
    }

    fn checksum(&self, data: &[u8]) -> u32 {
        if self.adler {
            let (mut a, mut b) = (1u32, 0u32);
            for chunk in data.chunks(5552) {
                for &x in chunk {
                    a += x as u32;
                    b += a;
                }
                a %= 65521;
                b %= 65521;
            }
            (b << 16) | a
        } else {
            let mut c = flate2::Crc::new();
            c.update(data);
            c.sum()
        }
    }
}

impl CodecTraits for Checksum32Codec {
    fn name(&self) -> &str {
        if self.adler {
            ADLER32
        } else {
            CRC32
        }
    }
    fn to_metadata(&self) -> CodecMetadata {
        let mut m = Map::new();
        if self.location_given {
            m.insert(
                "location".into(),
                Value::from(if self.start { "start" } else { "end" }),
            );
        }
        CodecMetadata::new(self.name(), Some(m))
    }
}

impl BytesToBytesCodec for Checksum32Codec {
    fn encode(&self, decoded: &[u8]) -> Result<Vec<u8>, CodecError> {
        let sum = self.checksum(decoded).to_le_bytes();
        let mut out = Vec::with_capacity(decoded.len() + 4);
        if self.start {
            out.extend_from_slice(&sum);
            out.extend_from_slice(decoded);
        } else {
            out.extend_from_slice(decoded);
            out.extend_from_slice(&sum);
        }
        Ok(out)
    }
    fn decode(&self, encoded: &[u8], max_decoded: usize) -> Result<Vec<u8>, CodecError> {
        if encoded.len() < 4 {
            return Err(decode_error(
                self.name(),
                "shorter than the 4-byte checksum",
            ));
        }
        let (sum, data) = if self.start {
            (&encoded[..4], &encoded[4..])
        } else {
            (&encoded[encoded.len() - 4..], &encoded[..encoded.len() - 4])
        };
        if data.len() > max_decoded {
            return Err(too_large(self.name(), max_decoded));
        }
        let stored = u32::from_le_bytes([sum[0], sum[1], sum[2], sum[3]]);
        let computed = self.checksum(data);
        if stored != computed {
            return Err(CodecError::Checksum {
                codec: self.name().into(),
                stored,
                computed,
            });
        }
        Ok(data.to_vec())
    }
    fn encoded_size(&self, decoded_len: u64) -> Option<u64> {
        Some(decoded_len + 4)
    }
}

fn checksum32(metadata: &CodecMetadata, name: &str, adler: bool) -> Result<Codec, CodecError> {
    let cfg = Config::new(metadata, name, &["id", "location"], false)?;
    let loc = cfg.choice("location", &["start", "end"])?;
    Ok(Codec::BytesToBytes(Arc::new(Checksum32Codec {
        adler,
        start: loc != Some("end"),
        location_given: loc.is_some(),
    })))
}

fn create_crc32(metadata: &CodecMetadata, _spec: &ChunkSpec) -> Result<Codec, CodecError> {
    checksum32(metadata, CRC32, false)
}

fn create_adler32(metadata: &CodecMetadata, _spec: &ChunkSpec) -> Result<Codec, CodecError> {
    checksum32(metadata, ADLER32, true)
}

// ---- packbits ----

const PACKBITS: &str = "numcodecs.packbits";

/// numcodecs' `PackBits` for `bool` arrays, array-to-array as zarr-python 3
/// runs it: a chunk of n elements becomes a `uint8` array of `1 + ceil(n / 8)`
/// elements, the first holding the number of padding bits, then the
/// elements as bits, first element in the most significant bit. A `bytes`
/// codec serializes it (in V2 it is a filter before the compressor: the
/// same bytes).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PackBitsCodec;

impl CodecTraits for PackBitsCodec {
    fn name(&self) -> &str {
        PACKBITS
    }
    fn to_metadata(&self) -> CodecMetadata {
        CodecMetadata::new(PACKBITS, Some(Map::new()))
    }
}

impl ArrayToArrayCodec for PackBitsCodec {
    fn encoded_spec(&self, decoded: &ChunkSpec) -> Result<ChunkSpec, CodecError> {
        let mut spec = with_type(decoded, DataType::UInt8);
        spec.shape = vec![1 + decoded.num_elements().div_ceil(8)];
        Ok(spec)
    }
    fn encode(&self, data: ArrayBytes, _decoded: &ChunkSpec) -> Result<ArrayBytes, CodecError> {
        let v = fixed(PACKBITS, data)?;
        let n = v.len();
        let packed = n.div_ceil(8);
        let mut out = vec![0u8; packed + 1];
        out[0] = (packed * 8 - n) as u8;
        for (i, &b) in v.iter().enumerate() {
            if b != 0 {
                out[1 + i / 8] |= 0x80 >> (i % 8);
            }
        }
        Ok(ArrayBytes::Fixed(out))
    }
    fn decode(&self, data: ArrayBytes, decoded: &ChunkSpec) -> Result<ArrayBytes, CodecError> {
        let bytes = fixed(PACKBITS, data)?;
        let n = decoded.num_elements() as usize;
        let expected = n.div_ceil(8) + 1;
        if bytes.len() != expected || bytes[0] as usize != (expected - 1) * 8 - n {
            return Err(CodecError::SizeMismatch {
                codec: PACKBITS.into(),
                expected: expected as u64,
                actual: bytes.len() as u64,
            });
        }
        let out = (0..n)
            .map(|i| u8::from(bytes[1 + i / 8] & (0x80 >> (i % 8)) != 0))
            .collect();
        Ok(ArrayBytes::Fixed(out))
    }
}

fn create_packbits(metadata: &CodecMetadata, spec: &ChunkSpec) -> Result<Codec, CodecError> {
    Config::new(metadata, PACKBITS, &["id"], false)?;
    if spec.data_type != DataType::Bool {
        return Err(CodecError::Incompatible {
            codec: PACKBITS.into(),
            message: format!("needs bool data, not {}", spec.data_type),
        });
    }
    Ok(Codec::ArrayToArray(Arc::new(PackBitsCodec)))
}

// ---- quantize ----

const QUANTIZE: &str = "numcodecs.quantize";

/// numcodecs' `Quantize`: keep `digits` decimal digits by rounding
/// `x * 2^bits` to an integer (half to even), as `astype`.
#[derive(Clone, Debug, PartialEq)]
pub struct QuantizeCodec {
    config: Map<String, Value>,
    scale: f64,
    dtype: DataType,
    astype: DataType,
}

impl CodecTraits for QuantizeCodec {
    fn name(&self) -> &str {
        QUANTIZE
    }
    fn to_metadata(&self) -> CodecMetadata {
        CodecMetadata::new(QUANTIZE, Some(self.config.clone()))
    }
}

impl ArrayToArrayCodec for QuantizeCodec {
    fn axis_map(&self) -> super::AxisMap {
        super::AxisMap::Elementwise
    }

    fn encoded_spec(&self, decoded: &ChunkSpec) -> Result<ChunkSpec, CodecError> {
        Ok(with_type(decoded, self.astype))
    }
    fn encode(&self, data: ArrayBytes, decoded: &ChunkSpec) -> Result<ArrayBytes, CodecError> {
        let v = fixed(QUANTIZE, data)?;
        let n = decoded.num_elements() as usize;
        let mut out = vec![0u8; n * self.astype.size().unwrap_or(0)];
        for i in 0..n {
            let x = get_f64(self.dtype, &v, i);
            let y = match self.dtype {
                DataType::Float32 | DataType::Float16 => {
                    let s = self.scale as f32;
                    ((s * x as f32).round_ties_even() / s) as f64
                }
                _ => (self.scale * x).round_ties_even() / self.scale,
            };
            put_f64(self.astype, &mut out, i, y);
        }
        Ok(ArrayBytes::Fixed(out))
    }
    fn decode(&self, data: ArrayBytes, decoded: &ChunkSpec) -> Result<ArrayBytes, CodecError> {
        cast(data, decoded, self.astype, self.dtype)
    }
}

fn create_quantize(metadata: &CodecMetadata, spec: &ChunkSpec) -> Result<Codec, CodecError> {
    let cfg = Config::new(
        metadata,
        QUANTIZE,
        &["id", "digits", "dtype", "astype"],
        true,
    )?;
    let digits = cfg
        .int_in("digits", -300..=300)?
        .ok_or_else(|| cfg.error("digits", "is required"))?;
    let dtype = dtype_key(&cfg, "dtype")?.ok_or_else(|| cfg.error("dtype", "is required"))?;
    let astype = dtype_key(&cfg, "astype")?.unwrap_or(dtype);
    for (k, d) in [("dtype", dtype), ("astype", astype)] {
        if !matches!(d, DataType::Float16 | DataType::Float32 | DataType::Float64) {
            return Err(cfg.error(k, format!("must be a float type, not {d}")));
        }
    }
    if dtype != spec.data_type {
        return Err(CodecError::Incompatible {
            codec: QUANTIZE.into(),
            message: format!(
                "dtype {dtype} is not the array's data type {}",
                spec.data_type
            ),
        });
    }
    let precision = 10f64.powi(-(digits as i32));
    let exp = precision.log10();
    let exp = if exp < 0.0 { exp.floor() } else { exp.ceil() };
    let bits = 10f64.powf(-exp).log2().ceil();
    let mut config = metadata.configuration.clone().unwrap_or_default();
    config.remove("id");
    Ok(Codec::ArrayToArray(Arc::new(QuantizeCodec {
        config,
        scale: 2f64.powf(bits),
        dtype,
        astype,
    })))
}

/// The factories, by V3 name.
pub(crate) const FACTORIES: [(&str, super::CodecFactory); 12] = [
    (PACKBITS, create_packbits),
    (QUANTIZE, create_quantize),
    (ZLIB, create_zlib),
    (LZ4, create_lz4),
    (SHUFFLE, create_shuffle),
    (DELTA, create_delta),
    (FSO, create_fso),
    (ASTYPE, create_astype),
    (BZ2, create_bz2),
    (LZMA, create_lzma),
    (CRC32, create_crc32),
    (ADLER32, create_adler32),
];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::dtype::FillValue;

    fn spec(dt: DataType, n: u64) -> ChunkSpec {
        ChunkSpec {
            shape: vec![n],
            data_type: dt,
            fill_value: FillValue::default_for(dt),
        }
    }

    fn meta(j: &str) -> CodecMetadata {
        serde_json::from_str(j).unwrap()
    }

    #[test]
    fn delta_round_trip() {
        let s = spec(DataType::Int16, 4);
        let Codec::ArrayToArray(c) = create_delta(
            &meta(r#"{"name":"numcodecs.delta","configuration":{"dtype":"<i2"}}"#),
            &s,
        )
        .unwrap() else {
            panic!()
        };
        let data: Vec<u8> = [5i16, 7, 4, i16::MIN]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        let e = c.encode(ArrayBytes::Fixed(data.clone()), &s).unwrap();
        let ArrayBytes::Fixed(ev) = &e else { panic!() };
        let got: Vec<i16> = ev
            .chunks(2)
            .map(|b| i16::from_ne_bytes([b[0], b[1]]))
            .collect();
        assert_eq!(got, vec![5, 2, -3, i16::MIN.wrapping_sub(4)]);
        assert_eq!(c.decode(e, &s).unwrap(), ArrayBytes::Fixed(data));
    }

    #[test]
    fn fso_and_astype() {
        let s = spec(DataType::Float64, 3);
        let Codec::ArrayToArray(c) = create_fso(
            &meta(r#"{"name":"x","configuration":{"scale":10,"offset":1,"dtype":"<f8","astype":"<i2"}}"#),
            &s,
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(c.encoded_spec(&s).unwrap().data_type, DataType::Int16);
        let data: Vec<u8> = [1.0f64, 1.25, 2.0]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        let e = c.encode(ArrayBytes::Fixed(data), &s).unwrap();
        // 2.5 rounds half to even: 2.
        assert_eq!(
            e,
            ArrayBytes::Fixed([0i16, 2, 10].iter().flat_map(|v| v.to_ne_bytes()).collect())
        );
        let ArrayBytes::Fixed(d) = c.decode(e, &s).unwrap() else {
            panic!()
        };
        assert_eq!(get_f64(DataType::Float64, &d, 1), 1.2);
        assert!(create_fso(&meta(r#"{"name":"x","configuration":{"scale":1}}"#), &s).is_err());
        let Codec::ArrayToArray(a) = create_astype(
            &meta(r#"{"name":"x","configuration":{"encode_dtype":"<f4","decode_dtype":"<f8"}}"#),
            &s,
        )
        .unwrap() else {
            panic!()
        };
        let data: Vec<u8> = [1.5f64, -2.0, 3.0]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        let e = a.encode(ArrayBytes::Fixed(data.clone()), &s).unwrap();
        assert_eq!(a.decode(e, &s).unwrap(), ArrayBytes::Fixed(data));
    }

    #[test]
    fn lz4_bad_input() {
        let c = Lz4Codec::new(1);
        assert!(c.decode(&[1, 2], 10).is_err());
        assert!(c.decode(&[100, 0, 0, 0, 1, 2, 3], 10).is_err());
        assert!(c.decode(&[5, 0, 0, 0, 0xff, 2, 3], 10).is_err());
    }
}
