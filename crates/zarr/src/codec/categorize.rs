//! The `numcodecs.categorize` filter (array-to-array; V2 id `categorize`):
//! strings become integer codes, `i + 1` for the `i`-th of `labels` and 0
//! for any other string; decoding gives the label of each code and the
//! empty string for 0 (or any code without a label), exactly as numcodecs'
//! `Categorize(labels, dtype, astype)` does. It applies to `|O` string
//! arrays (zarr-python 2) and fixed-length `<U{n}` arrays; `astype` (default
//! `|u1`) is an integer type.
//!
//! zarr-python 3 has no V3 form of it, so converting such a V2 array to V3
//! re-encodes it.

use super::config::Config;
use super::{ArrayBytes, ArrayToArrayCodec, ChunkSpec, Codec, CodecError, CodecTraits, VarBytes};
use crate::dtype::{DataType, FillValue};
use crate::metadata::CodecMetadata;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

const NAME: &str = "numcodecs.categorize";

/// numcodecs' `Categorize` filter.
///
/// ```
/// use zarr::codec::{ArrayBytes, ArrayToArrayCodec, CategorizeCodec, ChunkSpec, VarBytes};
/// use zarr::dtype::{DataType, FillValue};
/// let c = CategorizeCodec::new(vec!["female".into(), "male".into()], DataType::UInt8).unwrap();
/// let spec = ChunkSpec { shape: vec![3], data_type: DataType::String, fill_value: FillValue::new(vec![]) };
/// let words = VarBytes::from_elements([&b"male"[..], b"other", b"female"]);
/// let codes = c.encode(ArrayBytes::Variable(words), &spec).unwrap();
/// assert_eq!(codes, ArrayBytes::Fixed(vec![2, 0, 1]));
/// let back = VarBytes::from_elements([&b"male"[..], b"", b"female"]);
/// assert_eq!(c.decode(codes, &spec).unwrap(), ArrayBytes::Variable(back));
/// ```
#[derive(Clone, Debug)]
pub struct CategorizeCodec {
    labels: Vec<String>,
    codes: HashMap<String, u64>,
    astype: DataType,
    config: Map<String, Value>,
}

fn incompatible(message: impl Into<String>) -> CodecError {
    CodecError::Incompatible {
        codec: NAME.into(),
        message: message.into(),
    }
}

/// A fixed-length UTF-32 element (native-endian code units, zero padded) as a string.
fn utf32_string(b: &[u8]) -> String {
    b.chunks_exact(4)
        .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
        .take_while(|&u| u != 0)
        .map(|u| char::from_u32(u).unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

impl CategorizeCodec {
    /// A filter with these labels, encoding to the integer type `astype`.
    pub fn new(labels: Vec<String>, astype: DataType) -> Result<Self, CodecError> {
        if !matches!(
            astype,
            DataType::UInt8
                | DataType::UInt16
                | DataType::UInt32
                | DataType::UInt64
                | DataType::Int8
                | DataType::Int16
                | DataType::Int32
                | DataType::Int64
        ) {
            return Err(incompatible(format!(
                "astype must be an integer type, not {astype}"
            )));
        }
        let mut config = Map::new();
        config.insert("labels".into(), Value::from(labels.clone()));
        config.insert(
            "astype".into(),
            Value::from(
                astype
                    .to_numpy_str(crate::codec::Endian::Little)
                    .unwrap_or_default(),
            ),
        );
        Ok(Self::with_config(labels, astype, config))
    }

    fn with_config(labels: Vec<String>, astype: DataType, config: Map<String, Value>) -> Self {
        let mut codes = HashMap::new();
        for (i, l) in labels.iter().enumerate() {
            // numpy assigns labels in order: a repeated label gets the last code.
            codes.insert(l.clone(), i as u64 + 1);
        }
        CategorizeCodec {
            labels,
            codes,
            astype,
            config,
        }
    }

    fn code(&self, s: &str) -> u64 {
        self.codes.get(s).copied().unwrap_or(0)
    }

    fn check_input(&self, dt: DataType) -> Result<(), CodecError> {
        match dt {
            DataType::String | DataType::FixedUtf32(_) => Ok(()),
            other => Err(incompatible(format!(
                "applies to string arrays, not {other}"
            ))),
        }
    }
}

impl CodecTraits for CategorizeCodec {
    fn name(&self) -> &str {
        NAME
    }
    fn to_metadata(&self) -> CodecMetadata {
        CodecMetadata::new(NAME, Some(self.config.clone()))
    }
}

impl ArrayToArrayCodec for CategorizeCodec {
    fn encoded_spec(&self, decoded: &ChunkSpec) -> Result<ChunkSpec, CodecError> {
        self.check_input(decoded.data_type)?;
        let fill = match decoded.data_type {
            DataType::FixedUtf32(_) => utf32_string(decoded.fill_value.as_bytes()),
            _ => String::from_utf8_lossy(decoded.fill_value.as_bytes()).into_owned(),
        };
        let size = self.astype.size().unwrap_or(1);
        let code = self.code(&fill).to_ne_bytes();
        Ok(ChunkSpec {
            shape: decoded.shape.clone(),
            data_type: self.astype,
            fill_value: FillValue::new(native_int(&code, size)),
        })
    }

    fn encode(&self, data: ArrayBytes, decoded: &ChunkSpec) -> Result<ArrayBytes, CodecError> {
        self.check_input(decoded.data_type)?;
        let size = self.astype.size().unwrap_or(1);
        let n = decoded.num_elements() as usize;
        let mut out = Vec::with_capacity(n * size);
        let mut push = |s: &str| out.extend(native_int(&self.code(s).to_ne_bytes(), size));
        match (&data, decoded.data_type) {
            (ArrayBytes::Variable(v), _) => {
                for i in 0..v.len() {
                    push(&String::from_utf8_lossy(v.get(i)));
                }
            }
            (ArrayBytes::Fixed(b), DataType::FixedUtf32(chars)) => {
                for e in b.chunks_exact((chars as usize * 4).max(1)) {
                    push(&utf32_string(e));
                }
            }
            _ => return Err(incompatible("unexpected data for the data type")),
        }
        if out.len() != n * size {
            return Err(CodecError::SizeMismatch {
                codec: NAME.into(),
                expected: (n * size) as u64,
                actual: out.len() as u64,
            });
        }
        Ok(ArrayBytes::Fixed(out))
    }

    fn decode(&self, data: ArrayBytes, decoded: &ChunkSpec) -> Result<ArrayBytes, CodecError> {
        self.check_input(decoded.data_type)?;
        let ArrayBytes::Fixed(codes) = data else {
            return Err(incompatible("codes must be fixed-size integers"));
        };
        let size = self.astype.size().unwrap_or(1);
        let n = decoded.num_elements() as usize;
        if codes.len() != n * size {
            return Err(CodecError::SizeMismatch {
                codec: NAME.into(),
                expected: (n * size) as u64,
                actual: codes.len() as u64,
            });
        }
        let label = |c: &[u8]| -> &str {
            let mut b = [0u8; 8];
            // Native-endian integer of `size` bytes; negative codes never match.
            let code = if cfg!(target_endian = "little") {
                b[..size].copy_from_slice(c);
                u64::from_le_bytes(b)
            } else {
                b[8 - size..].copy_from_slice(c);
                u64::from_be_bytes(b)
            };
            usize::try_from(code)
                .ok()
                .and_then(|k| k.checked_sub(1))
                .and_then(|k| self.labels.get(k))
                .map_or("", String::as_str)
        };
        Ok(match decoded.data_type {
            DataType::FixedUtf32(chars) => {
                let mut out = Vec::with_capacity(n * chars as usize * 4);
                for c in codes.chunks_exact(size) {
                    let mut units: Vec<u32> = label(c).chars().map(u32::from).collect();
                    units.resize(chars as usize, 0);
                    out.extend(units.iter().flat_map(|u| u.to_ne_bytes()));
                }
                ArrayBytes::Fixed(out)
            }
            _ => ArrayBytes::Variable(VarBytes::from_elements(
                codes.chunks_exact(size).map(|c| label(c).as_bytes()),
            )),
        })
    }
}

/// The low `size` bytes (in native order) of a native-endian `u64`.
fn native_int(b: &[u8; 8], size: usize) -> Vec<u8> {
    if cfg!(target_endian = "little") {
        b[..size].to_vec()
    } else {
        b[8 - size..].to_vec()
    }
}

/// Build a `numcodecs.categorize` filter for an array of `spec`.
pub(crate) fn create(metadata: &CodecMetadata, spec: &ChunkSpec) -> Result<Codec, CodecError> {
    let cfg = Config::new(metadata, NAME, &["id", "labels", "dtype", "astype"], true)?;
    let labels: Vec<String> = match cfg.get("labels") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or_else(|| cfg.error("labels", "must be a list of strings"))?,
        Some(v) => return Err(cfg.error("labels", format!("must be a list of strings, got {v}"))),
        None => return Err(cfg.error("labels", "is required")),
    };
    let astype = match cfg.get("astype") {
        None => DataType::UInt8,
        Some(Value::String(s)) => DataType::from_numpy_str(s)
            .map(|(d, _)| d)
            .map_err(|e| cfg.error("astype", e))?,
        Some(v) => return Err(cfg.error("astype", format!("must be a numpy type string, got {v}"))),
    };
    match cfg.get("dtype") {
        Some(Value::String(s)) if s == "|O" || s.contains('U') => {}
        Some(v) => {
            return Err(cfg.error(
                "dtype",
                format!("must be a unicode ('<U') or object ('|O') type string, got {v}"),
            ))
        }
        None => return Err(cfg.error("dtype", "is required")),
    }
    let codec = CategorizeCodec::new(labels.clone(), astype)?;
    codec.check_input(spec.data_type)?;
    let mut config = metadata.configuration.clone().unwrap_or_default();
    config.remove("id");
    Ok(Codec::ArrayToArray(Arc::new(CategorizeCodec::with_config(
        labels, astype, config,
    ))))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn utf32(words: &[&str], chars: usize) -> Vec<u8> {
        words
            .iter()
            .flat_map(|w| {
                let mut u: Vec<u32> = w.chars().map(u32::from).collect();
                u.resize(chars, 0);
                u.into_iter().flat_map(u32::to_ne_bytes)
            })
            .collect()
    }

    #[test]
    fn fixed_unicode_like_numcodecs() {
        // numcodecs 0.15: Categorize(labels=['ab', 'c'], dtype='<U2', astype='<u2')
        // encodes ['ab', 'c', 'ab', 'zz'] to 01 00 02 00 01 00 00 00 (little-endian).
        let m: CodecMetadata = serde_json::from_value(serde_json::json!({"name": NAME,
            "configuration": {"labels": ["ab", "c"], "dtype": "<U2", "astype": "<u2"}}))
        .unwrap();
        let spec = ChunkSpec {
            shape: vec![4],
            data_type: DataType::FixedUtf32(2),
            fill_value: FillValue::new(vec![0; 8]),
        };
        let Codec::ArrayToArray(c) = create(&m, &spec).unwrap() else {
            panic!()
        };
        assert_eq!(c.to_metadata(), m);
        let codes = c
            .encode(ArrayBytes::Fixed(utf32(&["ab", "c", "ab", "zz"], 2)), &spec)
            .unwrap();
        let want: Vec<u8> = [1u16, 2, 1, 0]
            .iter()
            .flat_map(|x| x.to_ne_bytes())
            .collect();
        assert_eq!(codes, ArrayBytes::Fixed(want));
        assert_eq!(
            c.decode(codes, &spec).unwrap(),
            ArrayBytes::Fixed(utf32(&["ab", "c", "ab", ""], 2))
        );
        let e = c.encoded_spec(&spec).unwrap();
        assert_eq!(e.data_type, DataType::UInt16);
        assert_eq!(e.fill_value.as_bytes(), &[0, 0]);
    }

    #[test]
    fn bad_configurations() {
        let spec = ChunkSpec {
            shape: vec![4],
            data_type: DataType::String,
            fill_value: FillValue::new(vec![]),
        };
        for cfg in [
            serde_json::json!({"dtype": "|O"}),
            serde_json::json!({"labels": [1], "dtype": "|O"}),
            serde_json::json!({"labels": ["a"], "dtype": "<i4"}),
            serde_json::json!({"labels": ["a"], "dtype": "|O", "astype": "<f4"}),
        ] {
            let m: CodecMetadata =
                serde_json::from_value(serde_json::json!({"name": NAME, "configuration": cfg}))
                    .unwrap();
            assert!(create(&m, &spec).is_err(), "{cfg}");
        }
        let ints = ChunkSpec {
            data_type: DataType::Int32,
            ..spec
        };
        let m: CodecMetadata = serde_json::from_value(serde_json::json!({"name": NAME,
            "configuration": {"labels": ["a"], "dtype": "|O"}}))
        .unwrap();
        assert!(create(&m, &ints).is_err());
    }
}
