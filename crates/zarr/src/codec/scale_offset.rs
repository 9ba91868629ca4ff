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
        if !data.len().is_multiple_of(size) {
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
    fn axis_map(&self) -> super::AxisMap {
        super::AxisMap::Elementwise
    }

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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn codec(meta: &str, dt: DataType) -> Result<Arc<dyn ArrayToArrayCodec>, CodecError> {
        let m: CodecMetadata = serde_json::from_str(meta).unwrap();
        let spec = ChunkSpec {
            shape: vec![3],
            data_type: dt,
            fill_value: FillValue::default_for(dt),
        };
        match create(&m, &spec)? {
            Codec::ArrayToArray(c) => Ok(c),
            _ => panic!("array-to-array"),
        }
    }

    fn spec(dt: DataType) -> ChunkSpec {
        ChunkSpec {
            shape: vec![3],
            data_type: dt,
            fill_value: FillValue::default_for(dt),
        }
    }

    fn fixed(a: ArrayBytes) -> Vec<u8> {
        match a {
            ArrayBytes::Fixed(v) => v,
            _ => panic!("fixed"),
        }
    }

    #[test]
    fn bit_exact_vectors_from_zarr_python() {
        // zarr-python 3.4.2 (numpy 2.5.5):
        //   from zarr.codecs.scale_offset import _encode, _decode
        //   _encode(np.array([1.05, 2.0, -3.3], dtype=np.float32), np.float32(0.1), np.float32(10)).view(np.uint32)
        //   _decode(np.array([9.5, 19.0, -34.0], dtype=np.float32), np.float32(0.1), np.float32(10), scale_repr=10).view(np.uint32)
        //   _encode(np.array([1.05, 2.0, -3.3], dtype=np.float16), np.float16(0.1), np.float16(10)).view(np.uint16)
        //   _encode(np.array([-100, 0, 7], dtype=np.int16), np.int16(3), np.int16(-2))
        let c = codec(
            r#"{"name":"scale_offset","configuration":{"offset":0.1,"scale":10}}"#,
            DataType::Float32,
        )
        .unwrap();
        let x: Vec<u8> = [1.05f32, 2.0, -3.3]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        let got: Vec<u32> = fixed(
            c.encode(ArrayBytes::Fixed(x), &spec(DataType::Float32))
                .unwrap(),
        )
        .chunks_exact(4)
        .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
        assert_eq!(got, [1092091903, 1100480512, 3255304192]);
        let y: Vec<u8> = [9.5f32, 19.0, -34.0]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        let got: Vec<u32> = fixed(
            c.decode(ArrayBytes::Fixed(y), &spec(DataType::Float32))
                .unwrap(),
        )
        .chunks_exact(4)
        .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
        assert_eq!(got, [1065772646, 1073741824, 3226678068]);

        let c = codec(
            r#"{"name":"scale_offset","configuration":{"offset":0.1,"scale":10}}"#,
            DataType::Float16,
        )
        .unwrap();
        let x: Vec<u8> = [1.05f32, 2.0, -3.3]
            .iter()
            .flat_map(|v| half::f16::from_f32(*v).to_ne_bytes())
            .collect();
        let got: Vec<u16> = fixed(
            c.encode(ArrayBytes::Fixed(x), &spec(DataType::Float16))
                .unwrap(),
        )
        .chunks_exact(2)
        .map(|b| u16::from_ne_bytes([b[0], b[1]]))
        .collect();
        assert_eq!(got, [18624, 19648, 53312]);

        let c = codec(
            r#"{"name":"scale_offset","configuration":{"offset":3,"scale":-2}}"#,
            DataType::Int16,
        )
        .unwrap();
        let x: Vec<u8> = [-100i16, 0, 7]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        let enc = fixed(
            c.encode(ArrayBytes::Fixed(x.clone()), &spec(DataType::Int16))
                .unwrap(),
        );
        let got: Vec<i16> = enc
            .chunks_exact(2)
            .map(|b| i16::from_ne_bytes([b[0], b[1]]))
            .collect();
        assert_eq!(got, [206, 6, -8]);
        assert_eq!(
            fixed(
                c.decode(ArrayBytes::Fixed(enc), &spec(DataType::Int16))
                    .unwrap()
            ),
            x
        );
    }

    #[test]
    fn integer_rules() {
        // zarr-python: int8 (100 - 0) * 2 overflows; 7 / 2 is inexact; uint8 0 - 1 underflows;
        // int64 wraps silently (2**62 * 4 == 0); uint64 is exact.
        let so = |o: Value, s: Value, dt| ScaleOffsetCodec::new(o, s, dt).unwrap();
        let c = so(json!(0), json!(2), DataType::Int8);
        assert!(matches!(
            c.encode_value(json!(100)),
            Err(CodecError::Encode { .. })
        ));
        assert!(matches!(
            c.decode_value(json!(7)),
            Err(CodecError::Decode { .. })
        ));
        assert!(matches!(
            c.decode_value(json!(-7)),
            Err(CodecError::Decode { .. })
        ));
        assert_eq!(c.decode_value(json!(-8)).unwrap(), json!(-4));
        let c = so(json!(1), json!(1), DataType::UInt8);
        assert!(c.encode_value(json!(0)).is_err());
        let c = so(json!(0), json!(-1), DataType::Int8);
        assert!(c.decode_value(json!(-128)).is_err());
        let c = so(json!(0), json!(4), DataType::Int64);
        assert_eq!(c.encode_value(json!(1u64 << 62)).unwrap(), json!(0));
        let c = so(json!(0), json!(-1), DataType::Int64);
        assert_eq!(c.decode_value(json!(i64::MIN)).unwrap(), json!(i64::MIN));
        let c = so(json!(1), json!(2), DataType::UInt64);
        assert_eq!(
            c.decode_value(json!(u64::MAX - 1)).unwrap(),
            json!(1u64 << 63)
        );
        assert!(so(json!(0), json!(2), DataType::UInt64)
            .encode_value(json!(1u64 << 63))
            .is_err());
        // Floats overflow to infinity, never an error.
        let c = so(json!(0), json!(10), DataType::Float32);
        assert_eq!(c.encode_value(json!(3e38)).unwrap(), json!("Infinity"));
    }

    #[test]
    fn configurations() {
        // zarr-python 3.4.2: ScaleOffset(offset=0.0, scale=1).to_dict() == {'name': 'scale_offset'};
        // ScaleOffset(offset=-0.0, scale="1").to_dict() keeps only {'scale': '1'};
        // ScaleOffset(offset="0", scale=True).to_dict() keeps only {'offset': '0'}.
        for (cfg, want) in [
            (
                r#"{"name":"scale_offset","configuration":{"offset":0.0,"scale":1}}"#,
                r#"{"name":"scale_offset"}"#,
            ),
            (r#"{"name":"scale_offset"}"#, r#"{"name":"scale_offset"}"#),
            (
                r#"{"name":"scale_offset","configuration":{}}"#,
                r#"{"name":"scale_offset"}"#,
            ),
            (
                r#"{"name":"scale_offset","configuration":{"offset":-0.0,"scale":"1"}}"#,
                r#"{"name":"scale_offset","configuration":{"scale":"1"}}"#,
            ),
            (
                r#"{"name":"scale_offset","configuration":{"offset":"0","scale":true}}"#,
                r#"{"name":"scale_offset","configuration":{"offset":"0"}}"#,
            ),
            (
                r#"{"name":"scale_offset","configuration":{"offset":1.5,"scale":"0x41200000"}}"#,
                r#"{"name":"scale_offset","configuration":{"offset":1.5,"scale":"0x41200000"}}"#,
            ),
        ] {
            let c = codec(cfg, DataType::Float32).unwrap();
            assert_eq!(
                serde_json::to_string(&c.to_metadata()).unwrap(),
                want,
                "{cfg}"
            );
        }
        for (cfg, dt) in [
            (
                r#"{"name":"scale_offset","configuration":{"scale":0}}"#,
                DataType::Int32,
            ),
            (
                r#"{"name":"scale_offset","configuration":{"scale":-0.0}}"#,
                DataType::Float64,
            ),
            (
                r#"{"name":"scale_offset","configuration":{"scale":"0x0000"}}"#,
                DataType::Float16,
            ),
            (
                r#"{"name":"scale_offset","configuration":{"offset":1.5}}"#,
                DataType::Int32,
            ),
            (
                r#"{"name":"scale_offset","configuration":{"offset":300}}"#,
                DataType::UInt8,
            ),
            (
                r#"{"name":"scale_offset","configuration":{"offset":null}}"#,
                DataType::Float64,
            ),
            (
                r#"{"name":"scale_offset","configuration":{"offset":[1]}}"#,
                DataType::Float64,
            ),
            (
                r#"{"name":"scale_offset","configuration":{"offset":"NaN"}}"#,
                DataType::Int8,
            ),
            (
                r#"{"name":"scale_offset","configuration":{"extra":1}}"#,
                DataType::Float64,
            ),
        ] {
            assert!(
                matches!(codec(cfg, dt), Err(CodecError::InvalidConfiguration { .. })),
                "{cfg} {dt}"
            );
        }
        for dt in [DataType::Bool, DataType::Complex64, DataType::String] {
            assert!(matches!(
                codec(r#"{"name":"scale_offset"}"#, dt),
                Err(CodecError::Incompatible { .. })
            ));
        }
    }

    #[test]
    fn fill_value_is_encoded() {
        let c = ScaleOffsetCodec::new(json!(1), json!(2), DataType::Int8).unwrap();
        let s = ChunkSpec {
            shape: vec![2],
            data_type: DataType::Int8,
            fill_value: FillValue::new(vec![5]),
        };
        assert_eq!(c.encoded_spec(&s).unwrap().fill_value.as_bytes(), [8]);
        let s = ChunkSpec {
            fill_value: FillValue::new(vec![100]),
            ..s
        };
        assert!(matches!(
            c.encoded_spec(&s),
            Err(CodecError::Incompatible { .. })
        ));
    }
}
