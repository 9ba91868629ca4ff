//! The `bytes` codec (array-to-bytes): fixed-size elements laid out in C
//! order with a chosen byte order.
//!
//! The old name `endian` is accepted as an alias when reading metadata.

use super::config::Config;
use super::{ArrayBytes, ArrayToBytesCodec, ChunkSpec, Codec, CodecError, CodecTraits};
use crate::dtype::{DataType, StructType};
use crate::metadata::CodecMetadata;
use serde_json::{Map, Value};
use std::sync::Arc;

const NAME: &str = "bytes";

/// The byte order of multi-byte elements in encoded chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endian {
    /// Least significant byte first.
    Little,
    /// Most significant byte first.
    Big,
}

impl Endian {
    /// The byte order of the machine this runs on.
    pub const fn native() -> Self {
        if cfg!(target_endian = "big") {
            Endian::Big
        } else {
            Endian::Little
        }
    }

    /// The name written in metadata (`"little"` or `"big"`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Endian::Little => "little",
            Endian::Big => "big",
        }
    }

    /// Parse `"little"` or `"big"`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "little" => Some(Endian::Little),
            "big" => Some(Endian::Big),
            _ => None,
        }
    }
}

/// The `bytes` codec.
///
/// `endian` is `None` for one-byte data types (zarr-python then writes the
/// entry without a configuration); multi-byte types need it.
///
/// ```
/// use zarr::codec::{ArrayBytes, ArrayToBytesCodec, BytesCodec, ChunkSpec, Endian};
/// use zarr::dtype::{DataType, FillValue};
/// let spec = ChunkSpec { shape: vec![2], data_type: DataType::UInt16, fill_value: FillValue::default_for(DataType::UInt16) };
/// let codec = BytesCodec::new(Some(Endian::Big));
/// let data: Vec<u8> = [1u16, 0x0203].iter().flat_map(|v| v.to_ne_bytes()).collect();
/// let encoded = codec.encode(ArrayBytes::Fixed(data.clone()), &spec).unwrap();
/// assert_eq!(encoded, vec![0, 1, 2, 3]);
/// assert_eq!(codec.decode(&encoded, &spec).unwrap(), ArrayBytes::Fixed(data));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BytesCodec {
    endian: Option<Endian>,
}

impl BytesCodec {
    /// A codec writing `endian` byte order (`None` only suits one-byte types).
    pub fn new(endian: Option<Endian>) -> Self {
        BytesCodec { endian }
    }

    /// A little-endian codec, the usual choice.
    pub fn little() -> Self {
        BytesCodec::new(Some(Endian::Little))
    }

    /// The configured byte order.
    pub fn endian(&self) -> Option<Endian> {
        self.endian
    }

    /// How to byte-swap elements of `data_type`. Errors for variable-length
    /// types and for multi-byte types without a byte order.
    fn swap_size(&self, data_type: DataType) -> Result<Swap, CodecError> {
        if let DataType::Struct(s) = data_type {
            // Every multi-byte field in `endian`; with none, each field in
            // its declared V2 byte order (little where none is declared).
            return Ok(if s.needs_swap(self.endian) {
                Swap::Struct(s, self.endian)
            } else {
                Swap::None
            });
        }
        let cs = data_type
            .component_size()
            .ok_or_else(|| incompatible(data_type))?;
        if cs == 1 {
            return Ok(Swap::None);
        }
        match self.endian {
            None => Err(CodecError::Incompatible {
                codec: NAME.into(),
                message: format!("data type {data_type} needs an endian configuration"),
            }),
            Some(e) if e == Endian::native() => Ok(Swap::None),
            Some(_) => Ok(Swap::Components(cs)),
        }
    }

    /// The exact decoded size of a chunk of `spec`.
    fn expected_size(spec: &ChunkSpec) -> Result<usize, CodecError> {
        let size = spec
            .fixed_size()
            .ok_or_else(|| incompatible(spec.data_type))?;
        usize::try_from(size).map_err(|_| CodecError::TooLarge {
            codec: NAME.into(),
            limit: usize::MAX as u64,
        })
    }
}

/// How the codec converts element bytes between memory and storage.
enum Swap {
    /// Copied as they are.
    None,
    /// Every component of this size reversed.
    Components(usize),
    /// A struct's fields swapped one by one (see [`StructType::swap`]).
    Struct(StructType, Option<Endian>),
}

impl Swap {
    fn apply(&self, data: &mut [u8]) {
        match self {
            Swap::None => {}
            Swap::Components(cs) => swap_in_place(data, *cs),
            Swap::Struct(s, stored) => s.swap(data, *stored),
        }
    }
}

fn incompatible(data_type: DataType) -> CodecError {
    CodecError::Incompatible {
        codec: NAME.into(),
        message: format!("variable-length data type {data_type} needs a vlen codec"),
    }
}

fn size_mismatch(expected: usize, actual: usize) -> CodecError {
    CodecError::SizeMismatch {
        codec: NAME.into(),
        expected: expected as u64,
        actual: actual as u64,
    }
}

/// Reverse the bytes of every `N`-byte component.
fn swap_n<const N: usize>(data: &mut [u8]) {
    for c in data.chunks_exact_mut(N) {
        c.reverse();
    }
}

/// Copy `src` to `dst`, reversing the bytes of every `N`-byte component.
fn swap_copy_n<const N: usize>(src: &[u8], dst: &mut [u8]) {
    for (d, s) in dst.chunks_exact_mut(N).zip(src.chunks_exact(N)) {
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        a.reverse();
        d.copy_from_slice(&a);
    }
}

/// Reverse the bytes of every `size`-byte component in place.
pub(crate) fn swap_in_place(data: &mut [u8], size: usize) {
    match size {
        2 => swap_n::<2>(data),
        4 => swap_n::<4>(data),
        8 => swap_n::<8>(data),
        0 | 1 => {}
        n => data.chunks_exact_mut(n).for_each(<[u8]>::reverse),
    }
}

/// Copy `src` to `dst` (same length), reversing every `size`-byte component.
fn swap_copy(src: &[u8], dst: &mut [u8], size: usize) {
    match size {
        2 => swap_copy_n::<2>(src, dst),
        4 => swap_copy_n::<4>(src, dst),
        8 => swap_copy_n::<8>(src, dst),
        _ => {
            dst.copy_from_slice(src);
            swap_in_place(dst, size);
        }
    }
}

/// Check that every byte of bool data is 0 or 1.
pub(crate) fn validate_bool(codec: &str, data: &[u8]) -> Result<(), CodecError> {
    // OR-ing is branch-free and vectorises; any byte above 1 sets a high bit.
    if data.iter().fold(0u8, |acc, &b| acc | b) > 1 {
        let i = data.iter().position(|&b| b > 1).unwrap_or(0);
        let b = data.get(i).copied().unwrap_or(0);
        return Err(CodecError::Decode {
            codec: codec.to_string(),
            message: format!("invalid bool value {b} at element {i} (must be 0 or 1)"),
        });
    }
    Ok(())
}

impl CodecTraits for BytesCodec {
    fn name(&self) -> &str {
        NAME
    }

    fn to_metadata(&self) -> CodecMetadata {
        match self.endian {
            None => CodecMetadata::new(NAME, None),
            Some(e) => {
                let mut m = Map::new();
                m.insert("endian".into(), Value::String(e.as_str().into()));
                CodecMetadata::new(NAME, Some(m))
            }
        }
    }
}

impl ArrayToBytesCodec for BytesCodec {
    fn encode(&self, data: ArrayBytes, spec: &ChunkSpec) -> Result<Vec<u8>, CodecError> {
        let expected = Self::expected_size(spec)?;
        let swap = self.swap_size(spec.data_type)?;
        match data {
            ArrayBytes::Fixed(mut v) => {
                if v.len() != expected {
                    return Err(size_mismatch(expected, v.len()));
                }
                swap.apply(&mut v);
                Ok(v)
            }
            ArrayBytes::Variable(_) => Err(incompatible(spec.data_type)),
        }
    }

    fn decode(&self, bytes: &[u8], spec: &ChunkSpec) -> Result<ArrayBytes, CodecError> {
        let expected = Self::expected_size(spec)?;
        let swap = self.swap_size(spec.data_type)?;
        if bytes.len() != expected {
            return Err(size_mismatch(expected, bytes.len()));
        }
        let mut out = bytes.to_vec();
        swap.apply(&mut out);
        if spec.data_type == DataType::Bool {
            validate_bool(NAME, &out)?;
        }
        Ok(ArrayBytes::Fixed(out))
    }

    fn decode_into(
        &self,
        bytes: &[u8],
        spec: &ChunkSpec,
        out: &mut [u8],
    ) -> Result<(), CodecError> {
        let expected = Self::expected_size(spec)?;
        let swap = self.swap_size(spec.data_type)?;
        if out.len() != expected {
            return Err(size_mismatch(expected, out.len()));
        }
        if bytes.len() != expected {
            return Err(size_mismatch(expected, bytes.len()));
        }
        match swap {
            Swap::Components(cs) => swap_copy(bytes, out, cs),
            Swap::None => out.copy_from_slice(bytes),
            Swap::Struct(..) => {
                out.copy_from_slice(bytes);
                swap.apply(out);
            }
        }
        if spec.data_type == DataType::Bool {
            validate_bool(NAME, out)?;
        }
        Ok(())
    }

    fn decode_in_place(&self, spec: &ChunkSpec, data: &mut [u8]) -> Result<bool, CodecError> {
        let expected = Self::expected_size(spec)?;
        let swap = self.swap_size(spec.data_type)?;
        if data.len() != expected {
            return Err(size_mismatch(expected, data.len()));
        }
        swap.apply(data);
        if spec.data_type == DataType::Bool {
            validate_bool(NAME, data)?;
        }
        Ok(true)
    }

    fn encoded_size(&self, spec: &ChunkSpec) -> Option<u64> {
        spec.fixed_size()
    }
}

impl From<BytesCodec> for Codec {
    fn from(c: BytesCodec) -> Codec {
        Codec::ArrayToBytes(Arc::new(c))
    }
}

/// Build a `bytes` (or legacy `endian`) codec for a chunk of `spec`.
///
/// As zarr-python does, `endian` is dropped for one-byte data types and is
/// required for multi-byte ones; variable-length types are refused. A struct
/// without multi-byte fields drops it too; one with them and no `endian`
/// follows its fields' declared V2 byte orders (a V2 array), or is read
/// little-endian when none are declared (zarr-python's legacy assumption).
pub(crate) fn create(metadata: &CodecMetadata, spec: &ChunkSpec) -> Result<Codec, CodecError> {
    let cfg = Config::new(metadata, NAME, &["endian"], false)?;
    let endian = cfg
        .choice("endian", &["little", "big"])?
        .and_then(Endian::from_name);
    if let DataType::Struct(s) = spec.data_type {
        let endian = match endian {
            _ if !s.has_multi_byte_fields() => None,
            None if !s.has_declared_byte_orders() => Some(Endian::Little),
            e => e,
        };
        return Ok(BytesCodec::new(endian).into());
    }
    let size = spec
        .data_type
        .component_size()
        .ok_or_else(|| incompatible(spec.data_type))?;
    let endian = if size == 1 {
        None
    } else if endian.is_none() {
        return Err(cfg.error(
            "endian",
            format!(
                "must be given for the multi-byte data type {}",
                spec.data_type
            ),
        ));
    } else {
        endian
    };
    Ok(BytesCodec::new(endian).into())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::dtype::FillValue;

    fn spec(dt: DataType, shape: &[u64]) -> ChunkSpec {
        ChunkSpec {
            shape: shape.to_vec(),
            data_type: dt,
            fill_value: FillValue::default_for(dt),
        }
    }

    fn meta(json: &str) -> CodecMetadata {
        serde_json::from_str(json).unwrap()
    }

    fn build(json: &str, s: &ChunkSpec) -> Result<Arc<dyn ArrayToBytesCodec>, CodecError> {
        match create(&meta(json), s)? {
            Codec::ArrayToBytes(c) => Ok(c),
            other => panic!("unexpected codec {other:?}"),
        }
    }

    fn json(c: &dyn ArrayToBytesCodec) -> String {
        serde_json::to_string(&c.to_metadata()).unwrap()
    }

    #[test]
    fn metadata_like_zarr_python() {
        // zarr-python 3.4.2: BytesCodec(endian="little").to_dict() and the
        // one-byte form after evolve_from_array_spec.
        let s = spec(DataType::Float32, &[4]);
        let c = build(
            r#"{"name":"bytes","configuration":{"endian":"little"}}"#,
            &s,
        )
        .unwrap();
        assert_eq!(
            json(&*c),
            r#"{"name":"bytes","configuration":{"endian":"little"}}"#
        );
        let c = build(r#"{"name":"endian","configuration":{"endian":"big"}}"#, &s).unwrap();
        assert_eq!(
            json(&*c),
            r#"{"name":"bytes","configuration":{"endian":"big"}}"#
        );
        for dt in [DataType::UInt8, DataType::Int8, DataType::Bool] {
            let c = build(
                r#"{"name":"bytes","configuration":{"endian":"little"}}"#,
                &spec(dt, &[4]),
            )
            .unwrap();
            assert_eq!(json(&*c), r#"{"name":"bytes"}"#);
            let c = build(r#"{"name":"bytes"}"#, &spec(dt, &[4])).unwrap();
            assert_eq!(json(&*c), r#"{"name":"bytes"}"#);
        }
    }

    #[test]
    fn configuration_errors() {
        let s = spec(DataType::UInt16, &[4]);
        for bad in [
            r#"{"name":"bytes"}"#,
            r#"{"name":"bytes","configuration":{}}"#,
            r#"{"name":"bytes","configuration":{"endian":null}}"#,
            r#"{"name":"bytes","configuration":{"endian":"middle"}}"#,
            r#"{"name":"bytes","configuration":{"endian":1}}"#,
            r#"{"name":"bytes","configuration":{"endian":"little","extra":1}}"#,
        ] {
            let e = build(bad, &s).unwrap_err();
            assert!(
                matches!(e, CodecError::InvalidConfiguration { ref codec, .. } if codec == "bytes"),
                "{bad}: {e}"
            );
        }
        let e = build(r#"{"name":"bytes","configuration":{"extra":1}}"#, &s).unwrap_err();
        assert!(e.to_string().contains("extra"), "{e}");
        for dt in [DataType::String, DataType::Bytes] {
            let e = build(
                r#"{"name":"bytes","configuration":{"endian":"little"}}"#,
                &spec(dt, &[4]),
            )
            .unwrap_err();
            assert!(matches!(e, CodecError::Incompatible { .. }), "{e}");
        }
    }

    #[test]
    fn round_trips_every_type() {
        for dt in DataType::ALL
            .iter()
            .copied()
            .filter(|d| !d.is_variable_length())
        {
            let s = spec(dt, &[3, 5]);
            let n = s.fixed_size().unwrap() as usize;
            let data: Vec<u8> = if dt == DataType::Bool {
                (0..n).map(|i| (i % 2) as u8).collect()
            } else {
                (0..n).map(|i| (i * 7 + 3) as u8).collect()
            };
            for endian in [Endian::Little, Endian::Big] {
                let c = BytesCodec::new(Some(endian));
                let enc = c.encode(ArrayBytes::Fixed(data.clone()), &s).unwrap();
                assert_eq!(enc.len(), n);
                assert_eq!(c.encoded_size(&s), Some(n as u64));
                assert_eq!(c.decode(&enc, &s).unwrap(), ArrayBytes::Fixed(data.clone()));
                let mut out = vec![0u8; n];
                c.decode_into(&enc, &s, &mut out).unwrap();
                assert_eq!(out, data);
                let mut inplace = enc.clone();
                assert!(c.decode_in_place(&s, &mut inplace).unwrap());
                assert_eq!(inplace, data);
            }
        }
    }

    #[test]
    fn byte_order_matches_numpy() {
        // numpy: np.array([1, 258], "<u4").tobytes() and ">u4", and
        // np.array([1+2j], "<c8").astype(">c8").tobytes().
        let s = spec(DataType::UInt32, &[2]);
        let data: Vec<u8> = [1u32, 258].iter().flat_map(|v| v.to_ne_bytes()).collect();
        let le = BytesCodec::little()
            .encode(ArrayBytes::Fixed(data.clone()), &s)
            .unwrap();
        assert_eq!(le, [1, 0, 0, 0, 2, 1, 0, 0]);
        let be = BytesCodec::new(Some(Endian::Big))
            .encode(ArrayBytes::Fixed(data), &s)
            .unwrap();
        assert_eq!(be, [0, 0, 0, 1, 0, 0, 1, 2]);
        let s = spec(DataType::Complex64, &[1]);
        let data: Vec<u8> = [1.0f32, 2.0].iter().flat_map(|v| v.to_ne_bytes()).collect();
        let be = BytesCodec::new(Some(Endian::Big))
            .encode(ArrayBytes::Fixed(data), &s)
            .unwrap();
        assert_eq!(be, [0x3f, 0x80, 0, 0, 0x40, 0, 0, 0]);
    }

    #[test]
    fn bad_input() {
        let s = spec(DataType::UInt16, &[4]);
        let c = BytesCodec::little();
        for n in [0, 7, 9] {
            assert!(matches!(
                c.decode(&vec![0; n], &s),
                Err(CodecError::SizeMismatch { .. })
            ));
            let mut out = vec![0u8; 8];
            assert!(matches!(
                c.decode_into(&vec![0; n], &s, &mut out),
                Err(CodecError::SizeMismatch { .. })
            ));
            assert!(matches!(
                c.encode(ArrayBytes::Fixed(vec![0; n]), &s),
                Err(CodecError::SizeMismatch { .. })
            ));
        }
        let mut short = vec![0u8; 7];
        assert!(c.decode_into(&[0; 8], &s, &mut short).is_err());
        assert!(c.decode_in_place(&s, &mut short).is_err());
        assert!(matches!(
            c.encode(ArrayBytes::Variable(Default::default()), &s),
            Err(CodecError::Incompatible { .. })
        ));
        // No endian for a multi-byte type.
        assert!(matches!(
            BytesCodec::new(None).decode(&[0; 8], &s),
            Err(CodecError::Incompatible { .. })
        ));
        // Bool bytes must be 0 or 1.
        let b = spec(DataType::Bool, &[3]);
        assert!(c.decode(&[0, 1, 1], &b).is_ok());
        for bad in [[0u8, 2, 1], [255, 0, 0]] {
            assert!(matches!(c.decode(&bad, &b), Err(CodecError::Decode { .. })));
            let mut out = [0u8; 3];
            assert!(c.decode_into(&bad, &b, &mut out).is_err());
            let mut inplace = bad;
            assert!(c.decode_in_place(&b, &mut inplace).is_err());
        }
    }
}
