//! The `vlen-utf8` and `vlen-bytes` codecs (array-to-bytes) for
//! variable-length elements, in numcodecs' `VLenUTF8`/`VLenBytes` format: a
//! little-endian `u32` element count, then for each element a little-endian
//! `u32` byte length followed by the bytes.
//!
//! As zarr-python requires, `string` arrays use `vlen-utf8`; `vlen-bytes`
//! serves `variable_length_bytes`. Decoding checks the element count against
//! the chunk, every length against the buffer, and (for `vlen-utf8`) that
//! every element is UTF-8; like numcodecs it ignores bytes after the last
//! element.

use super::config::Config;
use super::{ArrayBytes, ArrayToBytesCodec, ChunkSpec, Codec, CodecError, CodecTraits, VarBytes};
use crate::dtype::DataType;
use crate::metadata::CodecMetadata;
use serde_json::Map;
use std::sync::Arc;

const UTF8: &str = "vlen-utf8";
const BYTES: &str = "vlen-bytes";

/// The `vlen-utf8` codec, for `string` arrays.
///
/// ```
/// use zarr::codec::{ArrayBytes, ArrayToBytesCodec, ChunkSpec, VarBytes, VlenUtf8Codec};
/// use zarr::dtype::{DataType, FillValue};
/// let spec = ChunkSpec { shape: vec![2], data_type: DataType::String, fill_value: FillValue::default_for(DataType::String) };
/// let data = VarBytes::from_elements([b"a".as_slice(), b"bc"]);
/// let encoded = VlenUtf8Codec::new().encode(ArrayBytes::Variable(data.clone()), &spec).unwrap();
/// assert_eq!(encoded, [2, 0, 0, 0, 1, 0, 0, 0, b'a', 2, 0, 0, 0, b'b', b'c']);
/// assert_eq!(VlenUtf8Codec::new().decode(&encoded, &spec).unwrap(), ArrayBytes::Variable(data));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VlenUtf8Codec;

/// The `vlen-bytes` codec, for `variable_length_bytes` arrays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VlenBytesCodec;

impl VlenUtf8Codec {
    /// The codec (it has no parameters).
    pub fn new() -> Self {
        VlenUtf8Codec
    }
}

impl VlenBytesCodec {
    /// The codec (it has no parameters).
    pub fn new() -> Self {
        VlenBytesCodec
    }
}

/// The data type each codec serves.
fn check_type(codec: &str, spec: &ChunkSpec) -> Result<(), CodecError> {
    let wanted = if codec == UTF8 {
        DataType::String
    } else {
        DataType::Bytes
    };
    if spec.data_type != wanted {
        return Err(CodecError::Incompatible {
            codec: codec.into(),
            message: format!("serialises {wanted} data, not {}", spec.data_type),
        });
    }
    Ok(())
}

fn decode_error(codec: &str, message: impl Into<String>) -> CodecError {
    CodecError::Decode {
        codec: codec.into(),
        message: message.into(),
    }
}

/// The number of elements of `spec`, as a `usize`.
fn num_elements(codec: &str, spec: &ChunkSpec) -> Result<usize, CodecError> {
    usize::try_from(spec.num_elements()).map_err(|_| CodecError::TooLarge {
        codec: codec.into(),
        limit: usize::MAX as u64,
    })
}

fn encode(codec: &str, data: ArrayBytes, spec: &ChunkSpec) -> Result<Vec<u8>, CodecError> {
    check_type(codec, spec)?;
    let n = num_elements(codec, spec)?;
    let ArrayBytes::Variable(v) = data else {
        return Err(CodecError::Incompatible {
            codec: codec.into(),
            message: "fixed-size data given to a variable-length codec".into(),
        });
    };
    if v.len() != n {
        return Err(CodecError::SizeMismatch {
            codec: codec.into(),
            expected: n as u64,
            actual: v.len() as u64,
        });
    }
    let encode_error = |message: String| CodecError::Encode {
        codec: codec.into(),
        message,
    };
    let count = u32::try_from(n)
        .map_err(|_| encode_error(format!("{n} elements do not fit the u32 count")))?;
    let mut out = Vec::with_capacity(4 + 4 * n + v.data.len());
    out.extend_from_slice(&count.to_le_bytes());
    for (i, w) in v.offsets.windows(2).enumerate() {
        let element = v.data.get(w[0]..w[1]).ok_or_else(|| {
            encode_error(format!(
                "element {i} has invalid offsets {}..{}",
                w[0], w[1]
            ))
        })?;
        if codec == UTF8 && std::str::from_utf8(element).is_err() {
            return Err(encode_error(format!("element {i} is not valid UTF-8")));
        }
        let len = u32::try_from(element.len())
            .map_err(|_| encode_error(format!("element {i} is longer than u32::MAX bytes")))?;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(element);
    }
    Ok(out)
}

/// Read a little-endian `u32` at `pos`, if the buffer holds one there.
fn read_u32(bytes: &[u8], pos: usize) -> Option<u32> {
    let b = bytes.get(pos..pos.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn decode(codec: &str, bytes: &[u8], spec: &ChunkSpec) -> Result<ArrayBytes, CodecError> {
    check_type(codec, spec)?;
    let n = num_elements(codec, spec)?;
    let count = read_u32(bytes, 0)
        .ok_or_else(|| decode_error(codec, "corrupt buffer, missing or truncated header"))?
        as usize;
    if count != n {
        return Err(decode_error(
            codec,
            format!("the buffer holds {count} elements, the chunk {n}"),
        ));
    }
    // Every element takes at least its four length bytes: this bounds the
    // allocations below by the input size.
    let body = bytes.len() - 4;
    if count > body / 4 {
        return Err(decode_error(
            codec,
            format!("corrupt buffer: {body} bytes cannot hold {count} elements"),
        ));
    }
    let mut out = VarBytes {
        data: Vec::with_capacity(body - 4 * count),
        offsets: Vec::with_capacity(count + 1),
    };
    out.offsets.push(0);
    let mut pos = 4usize;
    for i in 0..count {
        let len = read_u32(bytes, pos).ok_or_else(|| {
            decode_error(
                codec,
                format!("corrupt buffer, data seem truncated (length of element {i})"),
            )
        })? as usize;
        pos += 4;
        let element = pos
            .checked_add(len)
            .and_then(|end| bytes.get(pos..end))
            .ok_or_else(|| {
                decode_error(
                    codec,
                    format!("corrupt buffer, data seem truncated (element {i} claims {len} bytes)"),
                )
            })?;
        pos += len;
        out.data.extend_from_slice(element);
        out.offsets.push(out.data.len());
    }
    if codec == UTF8 {
        // Validating each element: a valid whole can still split a character
        // between two elements.
        for i in 0..count {
            let (a, b) = (out.offsets[i], out.offsets[i + 1]);
            if let Err(e) = std::str::from_utf8(&out.data[a..b]) {
                return Err(decode_error(
                    codec,
                    format!("element {i} is not valid UTF-8: {e}"),
                ));
            }
        }
    }
    Ok(ArrayBytes::Variable(out))
}

fn metadata(name: &str) -> CodecMetadata {
    CodecMetadata::new(name, Some(Map::new()))
}

impl CodecTraits for VlenUtf8Codec {
    fn name(&self) -> &str {
        UTF8
    }
    fn to_metadata(&self) -> CodecMetadata {
        metadata(UTF8)
    }
}

impl CodecTraits for VlenBytesCodec {
    fn name(&self) -> &str {
        BYTES
    }
    fn to_metadata(&self) -> CodecMetadata {
        metadata(BYTES)
    }
}

impl ArrayToBytesCodec for VlenUtf8Codec {
    fn encode(&self, data: ArrayBytes, spec: &ChunkSpec) -> Result<Vec<u8>, CodecError> {
        encode(UTF8, data, spec)
    }
    fn decode(&self, bytes: &[u8], spec: &ChunkSpec) -> Result<ArrayBytes, CodecError> {
        decode(UTF8, bytes, spec)
    }
    fn encoded_size(&self, _spec: &ChunkSpec) -> Option<u64> {
        None
    }
}

impl ArrayToBytesCodec for VlenBytesCodec {
    fn encode(&self, data: ArrayBytes, spec: &ChunkSpec) -> Result<Vec<u8>, CodecError> {
        encode(BYTES, data, spec)
    }
    fn decode(&self, bytes: &[u8], spec: &ChunkSpec) -> Result<ArrayBytes, CodecError> {
        decode(BYTES, bytes, spec)
    }
    fn encoded_size(&self, _spec: &ChunkSpec) -> Option<u64> {
        None
    }
}

impl From<VlenUtf8Codec> for Codec {
    fn from(c: VlenUtf8Codec) -> Codec {
        Codec::ArrayToBytes(Arc::new(c))
    }
}

impl From<VlenBytesCodec> for Codec {
    fn from(c: VlenBytesCodec) -> Codec {
        Codec::ArrayToBytes(Arc::new(c))
    }
}

/// Build a `vlen-utf8` codec for a `string` chunk. The configuration is
/// optional and must be empty.
pub(crate) fn create_utf8(metadata: &CodecMetadata, spec: &ChunkSpec) -> Result<Codec, CodecError> {
    Config::new(metadata, UTF8, &[], false)?;
    check_type(UTF8, spec)?;
    Ok(VlenUtf8Codec.into())
}

/// Build a `vlen-bytes` codec for a `variable_length_bytes` chunk. The
/// configuration is optional and must be empty.
pub(crate) fn create_bytes(
    metadata: &CodecMetadata,
    spec: &ChunkSpec,
) -> Result<Codec, CodecError> {
    Config::new(metadata, BYTES, &[], false)?;
    check_type(BYTES, spec)?;
    Ok(VlenBytesCodec.into())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::codec::tests::hex;
    use crate::dtype::FillValue;

    fn spec(dt: DataType, shape: &[u64]) -> ChunkSpec {
        ChunkSpec {
            shape: shape.to_vec(),
            data_type: dt,
            fill_value: FillValue::default_for(dt),
        }
    }

    fn build(json: &str, s: &ChunkSpec) -> Result<Arc<dyn ArrayToBytesCodec>, CodecError> {
        let m: CodecMetadata = serde_json::from_str(json).unwrap();
        let c = if m.name == UTF8 {
            create_utf8(&m, s)?
        } else {
            create_bytes(&m, s)?
        };
        match c {
            Codec::ArrayToBytes(c) => Ok(c),
            other => panic!("unexpected codec {other:?}"),
        }
    }

    #[test]
    fn metadata_like_zarr_python() {
        // zarr-python 3.4.2: VLenUTF8Codec().to_dict(), VLenBytesCodec().to_dict()
        let s = spec(DataType::String, &[3]);
        for m in [
            r#"{"name":"vlen-utf8","configuration":{}}"#,
            r#"{"name":"vlen-utf8"}"#,
            r#""vlen-utf8""#,
        ] {
            let c = build(m, &s).unwrap();
            assert_eq!(
                serde_json::to_string(&c.to_metadata()).unwrap(),
                r#"{"name":"vlen-utf8","configuration":{}}"#
            );
        }
        let b = spec(DataType::Bytes, &[3]);
        let c = build(r#"{"name":"vlen-bytes","configuration":{}}"#, &b).unwrap();
        assert_eq!(
            serde_json::to_string(&c.to_metadata()).unwrap(),
            r#"{"name":"vlen-bytes","configuration":{}}"#
        );
    }

    #[test]
    fn configuration_errors() {
        let s = spec(DataType::String, &[3]);
        let b = spec(DataType::Bytes, &[3]);
        let e = build(r#"{"name":"vlen-utf8","configuration":{"x":1}}"#, &s).unwrap_err();
        assert!(
            matches!(e, CodecError::InvalidConfiguration { ref codec, .. } if codec == "vlen-utf8"),
            "{e}"
        );
        let e = build(r#"{"name":"vlen-bytes","configuration":{"x":1}}"#, &b).unwrap_err();
        assert!(
            matches!(e, CodecError::InvalidConfiguration { ref codec, .. } if codec == "vlen-bytes"),
            "{e}"
        );
        // zarr-python: "For string dtype, ArrayBytesCodec must be `VLenUTF8Codec`".
        assert!(matches!(
            build(r#"{"name":"vlen-bytes"}"#, &s),
            Err(CodecError::Incompatible { .. })
        ));
        for dt in [DataType::Bytes, DataType::Int32, DataType::UInt8] {
            assert!(matches!(
                build(r#"{"name":"vlen-utf8"}"#, &spec(dt, &[3])),
                Err(CodecError::Incompatible { .. })
            ));
        }
        assert!(matches!(
            build(r#"{"name":"vlen-bytes"}"#, &spec(DataType::Float64, &[3])),
            Err(CodecError::Incompatible { .. })
        ));
    }

    #[test]
    fn matches_numcodecs() {
        // numcodecs VLenUTF8().encode(np.array(["a", "bc", "d"], dtype=object)).hex()
        let enc = hex("0300000001000000610200000062630100000064");
        let s = spec(DataType::String, &[3]);
        let data = VarBytes::from_elements([b"a".as_slice(), b"bc", b"d"]);
        assert_eq!(
            VlenUtf8Codec
                .encode(ArrayBytes::Variable(data.clone()), &s)
                .unwrap(),
            enc
        );
        assert_eq!(
            VlenUtf8Codec.decode(&enc, &s).unwrap(),
            ArrayBytes::Variable(data)
        );
        // VLenBytes().encode(np.array([b"a", b""], dtype=object)).hex()
        let enc = hex("02000000010000006100000000");
        let b = spec(DataType::Bytes, &[2]);
        let data = VarBytes::from_elements([b"a".as_slice(), b""]);
        assert_eq!(
            VlenBytesCodec
                .encode(ArrayBytes::Variable(data.clone()), &b)
                .unwrap(),
            enc
        );
        assert_eq!(
            VlenBytesCodec.decode(&enc, &b).unwrap(),
            ArrayBytes::Variable(data)
        );
        // numcodecs ignores bytes after the last element.
        let mut trailing = enc.clone();
        trailing.extend_from_slice(b"xx");
        assert!(VlenBytesCodec.decode(&trailing, &b).is_ok());
    }

    #[test]
    fn round_trip() {
        let s = spec(DataType::String, &[2, 2]);
        let data =
            VarBytes::from_elements(["", "héllo", "wörld", "🦀"].iter().map(|w| w.as_bytes()));
        let enc = VlenUtf8Codec
            .encode(ArrayBytes::Variable(data.clone()), &s)
            .unwrap();
        assert_eq!(
            VlenUtf8Codec.decode(&enc, &s).unwrap(),
            ArrayBytes::Variable(data)
        );
        let b = spec(DataType::Bytes, &[3]);
        let data = VarBytes::from_elements([&[0xffu8, 0][..], &[], &[1, 2, 3]]);
        let enc = VlenBytesCodec
            .encode(ArrayBytes::Variable(data.clone()), &b)
            .unwrap();
        assert_eq!(
            VlenBytesCodec.decode(&enc, &b).unwrap(),
            ArrayBytes::Variable(data)
        );
        let empty = spec(DataType::Bytes, &[0]);
        let enc = VlenBytesCodec
            .encode(ArrayBytes::Variable(VarBytes::from_elements([])), &empty)
            .unwrap();
        assert_eq!(enc, [0, 0, 0, 0]);
        assert_eq!(
            VlenBytesCodec.decode(&enc, &empty).unwrap(),
            ArrayBytes::Variable(VarBytes::from_elements([]))
        );
    }

    #[test]
    fn bad_input() {
        let s = spec(DataType::String, &[3]);
        let good = hex("0300000001000000610200000062630100000064");
        let mut huge_len = good.clone();
        huge_len[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        let mut huge_count = good.clone();
        huge_count[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
        let cases: Vec<Vec<u8>> = vec![
            Vec::new(),
            vec![3, 0, 0],
            good[..good.len() - 1].to_vec(),
            good[..8].to_vec(),
            huge_len,
            huge_count,
            hex("02000000010000006100000000"), // two elements, chunk holds three
            hex("030000000100000080010000006101000000610000"), // invalid UTF-8
        ];
        for bad in cases {
            assert!(
                matches!(
                    VlenUtf8Codec.decode(&bad, &s),
                    Err(CodecError::Decode { .. })
                ),
                "{bad:?}"
            );
        }
        // A chunk claiming more elements than the buffer could hold allocates nothing big.
        let big = spec(DataType::Bytes, &[u32::MAX as u64]);
        let mut claim = u32::MAX.to_le_bytes().to_vec();
        claim.extend_from_slice(&[0; 16]);
        assert!(matches!(
            VlenBytesCodec.decode(&claim, &big),
            Err(CodecError::Decode { .. })
        ));
        // A character split between two elements.
        let split = hex("02000000010000 00c3 01000000a9".replace(' ', "").as_str());
        let two = spec(DataType::String, &[2]);
        assert!(VlenUtf8Codec.decode(&split, &two).is_err());
        assert!(VlenBytesCodec
            .decode(&split, &spec(DataType::Bytes, &[2]))
            .is_ok());
        // Encoding checks too.
        assert!(matches!(
            VlenUtf8Codec.encode(ArrayBytes::Fixed(vec![1]), &s),
            Err(CodecError::Incompatible { .. })
        ));
        let wrong_count = VarBytes::from_elements([b"a".as_slice()]);
        assert!(matches!(
            VlenUtf8Codec.encode(ArrayBytes::Variable(wrong_count), &s),
            Err(CodecError::SizeMismatch { .. })
        ));
        let not_utf8 = VarBytes::from_elements([b"a".as_slice(), b"\xff", b""]);
        assert!(matches!(
            VlenUtf8Codec.encode(ArrayBytes::Variable(not_utf8), &s),
            Err(CodecError::Encode { .. })
        ));
        let broken = VarBytes {
            data: vec![1],
            offsets: vec![0, 4, 1, 1],
        };
        assert!(VlenBytesCodec
            .encode(ArrayBytes::Variable(broken), &spec(DataType::Bytes, &[3]))
            .is_err());
        assert!(VlenUtf8Codec
            .decode(&good, &spec(DataType::Bytes, &[3]))
            .is_err());
    }
}
