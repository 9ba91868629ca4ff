//! The `scale_offset` codec (array-to-array), as zarr-python 3.4.2 registers
//! it (`zarr.codecs.ScaleOffset`, zarr-extensions `codecs/scale_offset`):
//! encoding computes `(x - offset) * scale`, decoding `x / scale + offset`,
//! in the array's own data type.
//!
//! The arithmetic follows zarr-python exactly:
//!
//! - floats (float16, float32, float64) are computed in their own type, with
//!   no promotion (float16 through float32 per operation, as numpy does);
//!   overflow gives infinities, never an error;
//! - int8 to int32 and uint8 to uint32 are computed exactly and a result
//!   outside the type's range is an error; decoding also fails when a value
//!   is not exactly divisible by `scale`;
//! - uint64 is computed exactly too (zarr-python uses Python integers);
//! - int64 wraps silently on overflow (zarr-python widens to int64, which for
//!   int64 itself is no widening), but inexact division is still an error.
//!
//! `offset` and `scale` are kept exactly as written in the metadata (a JSON
//! number or a string such as `"0.1"` or `"0x3dcccccd"`) and read as
//! zarr-python's `from_json_scalar` reads them for the array's data type.
//! The encoded chunk spec has the same data type and the fill value encoded.

use super::config::Config;
use super::numeric::{json_scalar, py_eq_int, Kind, Val};
use super::{ArrayBytes, ArrayToArrayCodec, ChunkSpec, Codec, CodecError, CodecTraits};
use crate::dtype::{DataType, FillValue};
use crate::metadata::CodecMetadata;
use serde_json::{Map, Value};
use std::sync::Arc;

const NAME: &str = "scale_offset";

/// The `scale_offset` codec for one integer or float data type.
///
/// ```
/// use zarr::codec::ScaleOffsetCodec;
/// use zarr::dtype::DataType;
/// use serde_json::json;
/// let c = ScaleOffsetCodec::new(json!(10), json!(2), DataType::Int16).unwrap();
/// assert_eq!(c.encode_value(json!(15)).unwrap(), json!(10));
/// // Decoding 11 would need 11 / 2, which int16 cannot hold: an error, as in zarr-python.
/// assert!(c.decode_value(json!(11)).is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ScaleOffsetCodec {
    offset: Value,
    scale: Value,
    data_type: DataType,
    kind: Kind,
    off: Val,
    sc: Val,
}

fn incompatible(message: impl Into<String>) -> CodecError {
    CodecError::Incompatible {
        codec: NAME.into(),
        message: message.into(),
    }
}

impl ScaleOffsetCodec {
    /// A codec with `offset` and `scale` as written in metadata (numbers, or
    /// strings that zarr-python's `from_json_scalar` accepts for
    /// `data_type`), for arrays of `data_type` (an integer or float type).
    ///
    /// Errors: a data type that is not an integer or float type
    /// ([`CodecError::Incompatible`]); an `offset` or `scale` of the wrong
    /// JSON type, not representable in the data type, or a zero `scale`
    /// ([`CodecError::InvalidConfiguration`]).
    pub fn new(offset: Value, scale: Value, data_type: DataType) -> Result<Self, CodecError> {
        let kind = Kind::of(data_type).ok_or_else(|| {
            incompatible(format!(
                "only integer and floating-point data types are supported, not {data_type}"
            ))
        })?;
        let parse = |key: &str, v: &Value| -> Result<Val, CodecError> {
            if !matches!(v, Value::Number(_) | Value::String(_) | Value::Bool(_)) {
                return Err(super::config::invalid(
                    NAME,
                    format!("{key:?} must be a number or a string, got {v}"),
                ));
            }
            json_scalar(kind, v).map_err(|e| {
                super::config::invalid(
                    NAME,
                    format!("{key:?} value {v} is not representable in {data_type}: {e}"),
                )
            })
        };
        let off = parse("offset", &offset)?;
        let sc = parse("scale", &scale)?;
        if sc.as_f64() == 0.0 {
            return Err(super::config::invalid(NAME, "\"scale\" must be non-zero"));
        }
        Ok(ScaleOffsetCodec {
            offset,
            scale,
            data_type,
            kind,
            off,
            sc,
        })
    }

    /// The offset as written in metadata.
    pub fn offset(&self) -> &Value {
        &self.offset
    }

    /// The scale as written in metadata.
    pub fn scale(&self) -> &Value {
        &self.scale
    }

    /// Encode one value given as JSON (as a fill value is written), returning
    /// the encoded value as JSON. Convenient for checks; chunks go through
    /// [`ArrayToArrayCodec::encode`].
    pub fn encode_value(&self, value: Value) -> Result<Value, CodecError> {
        self.map_json(value, true)
    }

    /// Decode one value given as JSON, returning the decoded value as JSON.
    pub fn decode_value(&self, value: Value) -> Result<Value, CodecError> {
        self.map_json(value, false)
    }

    fn map_json(&self, value: Value, encode: bool) -> Result<Value, CodecError> {
        let fv = self
            .data_type
            .fill_value_from_json(&value)
            .map_err(|e| incompatible(e.to_string()))?;
        let out = self.run(fv.as_bytes(), encode)?;
        Ok(self.data_type.fill_value_to_json(&FillValue::new(out)))
    }

    fn error(&self, encode: bool, message: String) -> CodecError {
        if encode {
            CodecError::Encode {
                codec: NAME.into(),
                message,
            }
        } else {
            CodecError::Decode {
                codec: NAME.into(),
                message,
            }
        }
    }

    fn out_of_range(&self, encode: bool) -> CodecError {
        let (lo, hi) = self.kind.int_range();
        self.error(
            encode,
            format!(
                "scale_offset produced a value outside the range of dtype {} [{lo}, {hi}]",
                self.data_type
            ),
        )
    }

    /// `(x - offset) * scale` for one element.
    fn encode_one(&self, x: Val) -> Result<Val, CodecError> {
        Ok(match (x, self.off, self.sc) {
            (Val::Int(x), Val::Int(o), Val::Int(s)) if self.kind == Kind::I64 => Val::Int(
                (x as i64)
                    .wrapping_sub(o as i64)
                    .wrapping_mul(s as i64)
                    .into(),
            ),
            (Val::Int(x), Val::Int(o), Val::Int(s)) => {
                let r = (x - o)
                    .checked_mul(s)
                    .ok_or_else(|| self.out_of_range(true))?;
                let (lo, hi) = self.kind.int_range();
                if r < lo || r > hi {
                    return Err(self.out_of_range(true));
                }
                Val::Int(r)
            }
            (Val::F16(x), Val::F16(o), Val::F16(s)) => Val::F16((x - o) * s),
            (Val::F32(x), Val::F32(o), Val::F32(s)) => Val::F32((x - o) * s),
            (Val::F64(x), Val::F64(o), Val::F64(s)) => Val::F64((x - o) * s),
            _ => return Err(self.error(true, "mismatched element kinds".into())),
        })
    }

    /// `x / scale + offset` for one element.
    fn decode_one(&self, x: Val) -> Result<Val, CodecError> {
        Ok(match (x, self.off, self.sc) {
            (Val::Int(x), Val::Int(o), Val::Int(s)) => {
                if x % s != 0 {
                    return Err(self.error(
                        false,
                        format!(
                            "scale_offset decode produced a non-zero remainder when dividing \
                             {x} by scale={}; the result is not exactly representable in dtype {}",
                            self.scale, self.data_type
                        ),
                    ));
                }
                if self.kind == Kind::I64 {
                    Val::Int(
                        (x as i64)
                            .wrapping_div(s as i64)
                            .wrapping_add(o as i64)
                            .into(),
                    )
                } else {
                    let r = x / s + o;
                    let (lo, hi) = self.kind.int_range();
                    if r < lo || r > hi {
                        return Err(self.out_of_range(false));
                    }
                    Val::Int(r)
                }
            }
            (Val::F16(x), Val::F16(o), Val::F16(s)) => Val::F16(x / s + o),
            (Val::F32(x), Val::F32(o), Val::F32(s)) => Val::F32(x / s + o),
            (Val::F64(x), Val::F64(o), Val::F64(s)) => Val::F64(x / s + o),
            _ => return Err(self.error(false, "mismatched element kinds".into())),
        })
    }

    fn run(&self, data: &[u8], encode: bool) -> Result<Vec<u8>, CodecError> {
        let size = self.kind.size();
        if data.len() % size != 0 {
            return Err(self.error(
                encode,
                format!(
                    "{} bytes is not a whole number of {size}-byte elements",
                    data.len()
                ),
            ));
        }
        let mut out = Vec::with_capacity(data.len());
        for e in data.chunks_exact(size) {
            let x = Val::read(self.kind, e);
            let y = if encode {
                self.encode_one(x)?
            } else {
                self.decode_one(x)?
            };
            y.write(self.kind, &mut out);
        }
        Ok(out)
    }

    fn check_spec(&self, spec: &ChunkSpec) -> Result<(), CodecError> {
        if spec.data_type != self.data_type {
            return Err(incompatible(format!(
                "built for {} but given {}",
                self.data_type, spec.data_type
            )));
        }
        Ok(())
    }
}

impl CodecTraits for ScaleOffsetCodec {
    fn name(&self) -> &str {
        NAME
    }
    /// As zarr-python's `to_dict`: no configuration at all when `offset == 0`
    /// and `scale == 1` (Python equality: `0.0` and `false` count, strings
    /// never do); otherwise only the keys that differ from those defaults.
    fn to_metadata(&self) -> CodecMetadata {
        let default_offset = py_eq_int(&self.offset, 0);
        let default_scale = py_eq_int(&self.scale, 1);
        if default_offset && default_scale {
            return CodecMetadata::new(NAME, None);
        }
        let mut m = Map::new();
        if !default_offset {
            m.insert("offset".into(), self.offset.clone());
        }
        if !default_scale {
            m.insert("scale".into(), self.scale.clone());
        }
        CodecMetadata::new(NAME, Some(m))
    }
}

impl ArrayToArrayCodec for ScaleOffsetCodec {
    /// The same shape and data type; the fill value encoded (an error when
    /// that overflows an integer type, as zarr-python's `resolve_metadata`).
    fn encoded_spec(&self, decoded: &ChunkSpec) -> Result<ChunkSpec, CodecError> {
        self.check_spec(decoded)?;
        let fill = self.run(decoded.fill_value.as_bytes(), true).map_err(|e| {
            incompatible(format!(
                "the fill value {} cannot be encoded: {e}",
                self.data_type.fill_value_to_json(&decoded.fill_value)
            ))
        })?;
        Ok(ChunkSpec {
            shape: decoded.shape.clone(),
            data_type: decoded.data_type,
            fill_value: FillValue::new(fill),
        })
    }
    fn encode(&self, data: ArrayBytes, decoded: &ChunkSpec) -> Result<ArrayBytes, CodecError> {
        self.check_spec(decoded)?;
        match data {
            ArrayBytes::Fixed(v) => Ok(ArrayBytes::Fixed(self.run(&v, true)?)),
            _ => Err(incompatible("variable-length data")),
        }
    }
    fn decode(&self, data: ArrayBytes, decoded: &ChunkSpec) -> Result<ArrayBytes, CodecError> {
        self.check_spec(decoded)?;
        match data {
            ArrayBytes::Fixed(v) => Ok(ArrayBytes::Fixed(self.run(&v, false)?)),
            _ => Err(incompatible("variable-length data")),
        }
    }
}

/// Build a `scale_offset` codec from `{"offset": o, "scale": s}` (both
/// optional, the configuration too) for the array spec it sees.
pub(crate) fn create(metadata: &CodecMetadata, spec: &ChunkSpec) -> Result<Codec, CodecError> {
    let cfg = Config::new(metadata, NAME, &["offset", "scale"], false)?;
    let param = |key: &str, default: i64| -> Result<Value, CodecError> {
        if cfg.is_null(key) {
            return Err(cfg.error(key, "must be a number or a string, got null"));
        }
        Ok(cfg
            .get(key)
            .cloned()
            .unwrap_or_else(|| Value::from(default)))
    };
    let codec = ScaleOffsetCodec::new(param("offset", 0)?, param("scale", 1)?, spec.data_type)?;
    Ok(Codec::ArrayToArray(Arc::new(codec)))
}
