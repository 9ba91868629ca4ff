//! The `cast_value` codec (array-to-array), as zarr-python 3.4.2 registers
//! it (`zarr.codecs.CastValue`, zarr-extensions `codecs/cast_value`, the
//! casting done by cast-value-rs 0.5.1): encoding converts each value to
//! another numeric data type by value, decoding converts back.
//!
//! Configuration (what zarr-python reads and writes):
//!
//! - `data_type` (required): the encoded data type. zarr-python permits
//!   `int2`, `int4`, `int8`..`int64`, `uint2`, `uint4`, `uint8`..`uint64`,
//!   `float16`, `float32`, `float64`, `bfloat16` and the `float4`/`float6`/
//!   `float8` types, as source and as target; of those we have the eight
//!   integer types and the three IEEE floats (the others are refused with
//!   [`CodecError::Incompatible`]; cast-value-rs 0.5.1 casts only these
//!   eleven too, so zarr-python cannot open arrays using the others either);
//! - `rounding`: `nearest-even` (default, not written), `towards-zero`,
//!   `towards-positive`, `towards-negative`, `nearest-away`;
//! - `out_of_range`: absent (an error), `clamp`, `wrap` (integer targets
//!   only), or `error` (the specification's explicit form of the default;
//!   cast-value-rs 0.5.1 refuses it, so zarr-python 3.4.2 cannot open
//!   arrays that write it);
//! - `scalar_map`: `{"encode": [[from, to], ...], "decode": [...]}`, values
//!   that map before any conversion (`["NaN", 0]` maps every NaN); each key
//!   and value must be representable in its data type.
//!
//! Per element, in order (cast-value-rs 0.5.1): the first scalar-map entry
//! equal to the value wins (a NaN key matches every NaN); a NaN or an
//! infinity cast to an integer type is an error whatever `out_of_range` is;
//! floats round to an integer with the rounding mode, then a value outside
//! the integer range is an error, clamped, or wrapped modulo 2^bits; casts
//! into a float type round exactly once with the rounding mode (subnormals
//! included) and a rounded magnitude above the largest finite value is an
//! error, or an infinity with `clamp`; NaN payloads, infinities and signed
//! zeros carry over. Decoding uses the same rounding and `out_of_range` with
//! the `decode` map.
//!
//! The encoded chunk spec has the target data type and the fill value cast
//! with the `encode` map (an error, as in zarr-python, when it cannot be).

use super::config::{invalid, Config};
use super::numeric::{
    decompose, from_bits, json_scalar, py_float, py_int, py_key_eq, round_to_format, Kind, Rounded,
    Rounding, Val,
};
use super::{ArrayBytes, ArrayToArrayCodec, ChunkSpec, Codec, CodecError, CodecTraits};
use crate::dtype::{DataType, FillValue};
use crate::metadata::CodecMetadata;
use half::f16;
use serde_json::{Map, Value};
use std::sync::Arc;

const NAME: &str = "cast_value";

/// Data type names zarr-python 3.4.2 permits as `cast_value` source or
/// target that [`DataType`] does not have. (`bfloat16` would join the
/// supported ones as a float kind with 7 mantissa bits and bias 127; note
/// that cast-value-rs 0.5.1 does not cast it, so zarr-python cannot either.)
const PERMITTED_UNSUPPORTED: [&str; 15] = [
    "int2",
    "int4",
    "uint2",
    "uint4",
    "float4_e2m1fn",
    "float6_e2m3fn",
    "float6_e3m2fn",
    "float8_e3m4",
    "float8_e4m3",
    "float8_e4m3b11fnuz",
    "float8_e4m3fnuz",
    "float8_e5m2",
    "float8_e5m2fnuz",
    "float8_e8m0fnu",
    "bfloat16",
];

/// What `cast_value` does with a value outside the target's range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutOfRange {
    /// `"error"` written explicitly (the same as leaving it out).
    Error,
    /// `"clamp"`: to the nearest bound (infinity for float targets).
    Clamp,
    /// `"wrap"`: modulo 2^bits (integer targets only).
    Wrap,
}

impl OutOfRange {
    /// The name in metadata.
    pub fn name(self) -> &'static str {
        match self {
            OutOfRange::Error => "error",
            OutOfRange::Clamp => "clamp",
            OutOfRange::Wrap => "wrap",
        }
    }
}

/// One direction of a scalar map: `[from, to]` pairs as written (after
/// Python's `dict()`: a repeated key keeps its first position and last value).
type MapJson = Vec<(Value, Value)>;

/// The `cast_value` codec from one source data type to a target data type.
///
/// ```
/// use zarr::codec::{CastValueCodec, OutOfRange, Rounding};
/// use zarr::dtype::DataType;
/// use serde_json::json;
/// // float64 -> uint8, clamping, NaN stored as 255 and read back as NaN.
/// let c = CastValueCodec::new(
///     DataType::Float64,
///     DataType::UInt8,
///     Rounding::NearestEven,
///     Some(OutOfRange::Clamp),
///     Some(&json!({"encode": [["NaN", 255]], "decode": [[255, "NaN"]]})),
/// ).unwrap();
/// assert_eq!(c.encode_value(json!(2.5)).unwrap(), json!(2));
/// assert_eq!(c.encode_value(json!(300.0)).unwrap(), json!(255));
/// assert_eq!(c.encode_value(json!("NaN")).unwrap(), json!(255));
/// assert_eq!(c.decode_value(json!(255)).unwrap(), json!("NaN"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CastValueCodec {
    source: DataType,
    target: DataType,
    src: Kind,
    tgt: Kind,
    rounding: Rounding,
    out_of_range: Option<OutOfRange>,
    scalar_map: Option<(Option<MapJson>, Option<MapJson>)>,
    encode_map: Vec<(Val, Val)>,
    decode_map: Vec<(Val, Val)>,
}

fn incompatible(message: impl Into<String>) -> CodecError {
    CodecError::Incompatible {
        codec: NAME.into(),
        message: message.into(),
    }
}

/// The kind of a `cast_value` source or target, with zarr-python's errors.
fn kind_of(dt: DataType, role: &str) -> Result<Kind, CodecError> {
    Kind::of(dt).ok_or_else(|| {
        incompatible(format!(
            "the cast_value codec only supports integer and floating-point data types; got {role} dtype {dt}"
        ))
    })
}

/// Parse the `data_type` of the configuration.
fn parse_target(v: &Value) -> Result<DataType, CodecError> {
    let name = match v {
        Value::String(s) => Some(s.as_str()),
        Value::Object(o) => o.get("name").and_then(Value::as_str),
        _ => None,
    };
    if let Some(n) = name.filter(|n| PERMITTED_UNSUPPORTED.contains(n)) {
        return Err(incompatible(format!(
            "the target data type {n} is permitted by cast_value but not supported by this implementation"
        )));
    }
    let dt = DataType::from_json(v)
        .map_err(|e| invalid(NAME, format!("\"data_type\" {v} is not a data type: {e}")))?;
    if Kind::of(dt).is_none() {
        return Err(invalid(
            NAME,
            format!(
                "invalid target data type {v}: the cast_value codec only supports integer and floating-point data types"
            ),
        ));
    }
    Ok(dt)
}

/// Parse one direction of `scalar_map` into `[from, to]` pairs, as Python's
/// `dict(entries)` (or a JSON object, whose keys are strings).
fn parse_direction(dir: &str, v: &Value) -> Result<MapJson, CodecError> {
    let bad = |m: String| invalid(NAME, format!("scalar_map {dir:?} {m}"));
    let pairs: Vec<(Value, Value)> = match v {
        Value::Object(o) => o
            .iter()
            .map(|(k, v)| (Value::String(k.clone()), v.clone()))
            .collect(),
        Value::Array(items) => items
            .iter()
            .map(|e| match e {
                Value::Array(p) if p.len() == 2 => Ok((p[0].clone(), p[1].clone())),
                other => Err(bad(format!(
                    "entries must be [from, to] pairs, got {other}"
                ))),
            })
            .collect::<Result<_, _>>()?,
        other => return Err(bad(format!("must be a list of pairs, got {other}"))),
    };
    let mut out: MapJson = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        match out.iter_mut().find(|(k0, _)| py_key_eq(k0, &k)) {
            Some(slot) => slot.1 = v,
            None => out.push((k, v)),
        }
    }
    Ok(out)
}

/// A scalar-map key or value as cast-value-rs receives it: Python's
/// `int(v)` or `float(v)`, then converted into the kind (integers must be
/// in range, floats round to nearest).
fn map_scalar(v: &Value, kind: Kind, what: &str) -> Result<Val, CodecError> {
    if kind.is_float() {
        let x = py_float(v).ok_or_else(|| {
            invalid(
                NAME,
                format!(
                    "{what} {v}: Python's float() cannot read it, so zarr-python cannot use it"
                ),
            )
        })?;
        Ok(super::numeric::f64_to_float_kind(x, kind))
    } else {
        let i = py_int(v).ok_or_else(|| invalid(NAME, format!("{what} {v} is not an integer")))?;
        let (lo, hi) = kind.int_range();
        if i < lo || i > hi {
            return Err(invalid(NAME, format!("{what} {v} is out of range")));
        }
        Ok(Val::Int(i))
    }
}

impl CastValueCodec {
    /// A codec casting arrays of `source` to `target`.
    ///
    /// `scalar_map` is the JSON of the configuration's `scalar_map` (an
    /// object with optional `encode` and `decode` lists of `[from, to]`
    /// pairs). Errors: a source or target that is not one of the eleven
    /// numeric types ([`CodecError::Incompatible`]); `wrap` for a float
    /// target, or a scalar-map entry not representable in its data type
    /// ([`CodecError::InvalidConfiguration`]).
    pub fn new(
        source: DataType,
        target: DataType,
        rounding: Rounding,
        out_of_range: Option<OutOfRange>,
        scalar_map: Option<&Value>,
    ) -> Result<Self, CodecError> {
        let src = kind_of(source, "source")?;
        let tgt = kind_of(target, "target")?;
        if out_of_range == Some(OutOfRange::Wrap) && tgt.is_float() {
            return Err(invalid(
                NAME,
                format!("out_of_range='wrap' is only valid for integer target types; got target dtype {target}"),
            ));
        }
        let mut codec = CastValueCodec {
            source,
            target,
            src,
            tgt,
            rounding,
            out_of_range,
            scalar_map: None,
            encode_map: Vec::new(),
            decode_map: Vec::new(),
        };
        let Some(map) = scalar_map.filter(|v| !v.is_null()) else {
            return Ok(codec);
        };
        let Value::Object(o) = map else {
            return Err(invalid(
                NAME,
                format!("\"scalar_map\" must be an object, got {map}"),
            ));
        };
        let mut parsed = (None, None);
        for (dir, key_kind, val_kind, key_dt, val_dt) in [
            ("encode", src, tgt, source, target),
            ("decode", tgt, src, target, source),
        ] {
            let Some(entries) = o.get(dir).filter(|v| !v.is_null()) else {
                continue;
            };
            let entries = parse_direction(dir, entries)?;
            let mut typed = Vec::with_capacity(entries.len());
            for (k, v) in &entries {
                // zarr-python's validate(): from_json_scalar of each side.
                for (x, kind, dt, what) in
                    [(k, key_kind, key_dt, "key"), (v, val_kind, val_dt, "value")]
                {
                    json_scalar(kind, x).map_err(|e| {
                        invalid(
                            NAME,
                            format!("scalar_map {dir} {what} {x} is not representable in dtype {dt}: {e}"),
                        )
                    })?;
                }
                typed.push((
                    map_scalar(k, key_kind, &format!("scalar_map {dir} key"))?,
                    map_scalar(v, val_kind, &format!("scalar_map {dir} value"))?,
                ));
            }
            if dir == "encode" {
                codec.encode_map = typed;
                parsed.0 = Some(entries);
            } else {
                codec.decode_map = typed;
                parsed.1 = Some(entries);
            }
        }
        codec.scalar_map = Some(parsed);
        Ok(codec)
    }

    /// The source (decoded) data type.
    pub fn source(&self) -> DataType {
        self.source
    }

    /// The target (encoded) data type.
    pub fn target(&self) -> DataType {
        self.target
    }

    /// The rounding mode.
    pub fn rounding(&self) -> Rounding {
        self.rounding
    }

    /// The out-of-range mode as configured (`None`: absent, an error).
    pub fn out_of_range(&self) -> Option<OutOfRange> {
        self.out_of_range
    }

    /// Encode one source value given as JSON (as a fill value is written),
    /// returning the target value as JSON.
    pub fn encode_value(&self, value: Value) -> Result<Value, CodecError> {
        let fv = self
            .source
            .fill_value_from_json(&value)
            .map_err(|e| incompatible(e.to_string()))?;
        let out = self.run(fv.as_bytes(), true)?;
        Ok(self.target.fill_value_to_json(&FillValue::new(out)))
    }

    /// Decode one target value given as JSON, returning the source value as JSON.
    pub fn decode_value(&self, value: Value) -> Result<Value, CodecError> {
        let fv = self
            .target
            .fill_value_from_json(&value)
            .map_err(|e| incompatible(e.to_string()))?;
        let out = self.run(fv.as_bytes(), false)?;
        Ok(self.source.fill_value_to_json(&FillValue::new(out)))
    }

    fn run(&self, data: &[u8], encode: bool) -> Result<Vec<u8>, CodecError> {
        let (from, to, map) = if encode {
            (self.src, self.tgt, &self.encode_map)
        } else {
            (self.tgt, self.src, &self.decode_map)
        };
        let err = |message: String| {
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
        };
        if !data.len().is_multiple_of(from.size()) {
            return Err(err(format!(
                "{} bytes is not a whole number of {}-byte elements",
                data.len(),
                from.size()
            )));
        }
        let n = data.len() / from.size();
        let mut out = Vec::with_capacity(n * to.size());
        for e in data.chunks_exact(from.size()) {
            let y = cast_one(
                Val::read(from, e),
                to,
                self.rounding,
                self.out_of_range,
                map,
            )
            .map_err(&err)?;
            y.write(to, &mut out);
        }
        Ok(out)
    }
}

/// The message cast-value-rs gives for a value out of range.
fn out_of_range_message(x: Val, lo: impl std::fmt::Display, hi: impl std::fmt::Display) -> String {
    format!(
        "Value {x} out of range [{lo}, {hi}]. Set out_of_range='clamp' or out_of_range='wrap' to handle this."
    )
}

/// An integer `i` (exact) as the integer kind `to`.
fn int_to_int(x: Val, i: i128, to: Kind, oor: Option<OutOfRange>) -> Result<Val, String> {
    let (lo, hi) = to.int_range();
    if (lo..=hi).contains(&i) {
        return Ok(Val::Int(i));
    }
    match oor {
        Some(OutOfRange::Clamp) => Ok(Val::Int(i.clamp(lo, hi))),
        Some(OutOfRange::Wrap) => {
            let mut b = Vec::with_capacity(8);
            Val::Int(i).write(to, &mut b);
            Ok(Val::read(to, &b))
        }
        _ => Err(out_of_range_message(x, lo, hi)),
    }
}

/// A NaN of one float kind as another, as Rust's `as` and `half` convert it.
fn nan_to(x: Val, to: Kind) -> Val {
    match (x, to) {
        (Val::F64(v), Kind::F32) => Val::F32(v as f32),
        (Val::F64(v), Kind::F16) => Val::F16(f16::from_f64(v)),
        (Val::F32(v), Kind::F64) => Val::F64(f64::from(v)),
        (Val::F32(v), Kind::F16) => Val::F16(f16::from_f32(v)),
        (Val::F16(v), Kind::F32) => Val::F32(v.to_f32()),
        (Val::F16(v), Kind::F64) => Val::F64(v.to_f64()),
        (v, _) => v,
    }
}

/// The infinity of the float kind `to` with the sign of `neg`.
fn infinity(to: Kind, neg: bool) -> Val {
    let x = if neg {
        f64::NEG_INFINITY
    } else {
        f64::INFINITY
    };
    match to {
        Kind::F16 => Val::F16(f16::from_f64(x)),
        Kind::F32 => Val::F32(x as f32),
        _ => Val::F64(x),
    }
}

/// Cast one value (cast-value-rs 0.5.1's per-element conversion).
fn cast_one(
    x: Val,
    to: Kind,
    rounding: Rounding,
    oor: Option<OutOfRange>,
    map: &[(Val, Val)],
) -> Result<Val, String> {
    for &(k, v) in map {
        let hit = match (x, k) {
            (Val::Int(a), Val::Int(b)) => a == b,
            _ if k.is_nan() => x.is_nan(),
            _ => x.as_f64() == k.as_f64(),
        };
        if hit {
            return Ok(v);
        }
    }
    let fmt = to.format();
    match (x, fmt) {
        (Val::Int(i), None) => int_to_int(x, i, to, oor),
        (Val::Int(i), Some(fmt)) => {
            match round_to_format(i < 0, i.unsigned_abs(), 0, fmt, rounding) {
                Rounded::Bits(b) => Ok(from_bits(to, b)),
                Rounded::Overflow if oor == Some(OutOfRange::Clamp) => Ok(infinity(to, i < 0)),
                Rounded::Overflow => Err(float_range_message(x, to)),
            }
        }
        (_, None) => {
            let f = x.as_f64();
            if !f.is_finite() {
                return Err(format!(
                    "Cannot cast {x} to integer type without scalar_map"
                ));
            }
            let r = rounding.round_integral(f);
            if r.abs() < 2f64.powi(126) {
                return int_to_int(x, r as i128, to, oor);
            }
            let (lo, hi) = to.int_range();
            match oor {
                Some(OutOfRange::Clamp) => Ok(Val::Int(if r < 0.0 { lo } else { hi })),
                Some(OutOfRange::Wrap) => {
                    // Exact: fmod is exact and every huge float is an integer.
                    let m = r % 18_446_744_073_709_551_616.0;
                    int_to_int(x, m as i128, to, oor)
                }
                _ => Err(out_of_range_message(x, lo, hi)),
            }
        }
        (_, Some(fmt)) => {
            let f = x.as_f64();
            if f.is_nan() {
                return Ok(nan_to(x, to));
            }
            if f.is_infinite() {
                return Ok(infinity(to, f < 0.0));
            }
            let (neg, mag, e) = decompose(f);
            match round_to_format(neg, mag, e, fmt, rounding) {
                Rounded::Bits(b) => Ok(from_bits(to, b)),
                Rounded::Overflow if oor == Some(OutOfRange::Clamp) => Ok(infinity(to, neg)),
                Rounded::Overflow => Err(float_range_message(x, to)),
            }
        }
    }
}

/// The message cast-value-rs gives for a float target overflowing.
fn float_range_message(x: Val, to: Kind) -> String {
    let max = match to {
        Kind::F16 => f16::MAX.to_f64(),
        Kind::F32 => f64::from(f32::MAX),
        _ => f64::MAX,
    };
    format!(
        "Value {x} out of range [{}, {max}]. Set out_of_range='clamp' to map it to ±Infinity.",
        -max
    )
}

impl CodecTraits for CastValueCodec {
    fn name(&self) -> &str {
        NAME
    }
    /// As zarr-python's `to_dict`: `data_type` always, `rounding` unless
    /// `nearest-even`, `out_of_range` when given, `scalar_map` when given
    /// (each direction present as a list of `[from, to]` pairs).
    fn to_metadata(&self) -> CodecMetadata {
        let mut m = Map::new();
        m.insert("data_type".into(), self.target.to_json());
        if self.rounding != Rounding::NearestEven {
            m.insert("rounding".into(), self.rounding.name().into());
        }
        if let Some(o) = self.out_of_range {
            m.insert("out_of_range".into(), o.name().into());
        }
        if let Some((enc, dec)) = &self.scalar_map {
            let mut sm = Map::new();
            for (dir, entries) in [("encode", enc), ("decode", dec)] {
                if let Some(entries) = entries {
                    let list = entries
                        .iter()
                        .map(|(k, v)| Value::Array(vec![k.clone(), v.clone()]))
                        .collect();
                    sm.insert(dir.into(), Value::Array(list));
                }
            }
            m.insert("scalar_map".into(), Value::Object(sm));
        }
        CodecMetadata::new(NAME, Some(m))
    }
}

impl CastValueCodec {
    fn check_spec(&self, spec: &ChunkSpec) -> Result<(), CodecError> {
        if spec.data_type != self.source {
            return Err(incompatible(format!(
                "built for {} but given {}",
                self.source, spec.data_type
            )));
        }
        Ok(())
    }
}

impl ArrayToArrayCodec for CastValueCodec {
    fn axis_map(&self) -> super::AxisMap {
        super::AxisMap::Elementwise
    }

    /// The target data type, and the fill value cast with the `encode` map.
    fn encoded_spec(&self, decoded: &ChunkSpec) -> Result<ChunkSpec, CodecError> {
        self.check_spec(decoded)?;
        let fill = self.run(decoded.fill_value.as_bytes(), true).map_err(|e| {
            incompatible(format!(
                "the fill value {} cannot be cast to {}: {e}",
                self.source.fill_value_to_json(&decoded.fill_value),
                self.target
            ))
        })?;
        Ok(ChunkSpec {
            shape: decoded.shape.clone(),
            data_type: self.target,
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

/// Build a `cast_value` codec from its configuration for the array spec it sees.
pub(crate) fn create(metadata: &CodecMetadata, spec: &ChunkSpec) -> Result<Codec, CodecError> {
    let cfg = Config::new(
        metadata,
        NAME,
        &["data_type", "rounding", "out_of_range", "scalar_map"],
        true,
    )?;
    let target = parse_target(
        cfg.get("data_type")
            .ok_or_else(|| cfg.error("data_type", "is required"))?,
    )?;
    if cfg.is_null("rounding") {
        return Err(cfg.error("rounding", "must be a rounding mode, got null"));
    }
    let rounding = match cfg.get("rounding") {
        None => Rounding::NearestEven,
        Some(v) => v
            .as_str()
            .and_then(Rounding::from_name)
            .ok_or_else(|| cfg.error("rounding", format!("is not a rounding mode: {v}")))?,
    };
    let out_of_range = match cfg.choice("out_of_range", &["error", "clamp", "wrap"])? {
        None => None,
        Some("clamp") => Some(OutOfRange::Clamp),
        Some("wrap") => Some(OutOfRange::Wrap),
        Some(_) => Some(OutOfRange::Error),
    };
    let codec = CastValueCodec::new(
        spec.data_type,
        target,
        rounding,
        out_of_range,
        cfg.get("scalar_map"),
    )?;
    Ok(Codec::ArrayToArray(Arc::new(codec)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta(s: &str) -> CodecMetadata {
        serde_json::from_str(s).unwrap()
    }

    fn build(cfg: &str, source: DataType) -> Result<Arc<dyn ArrayToArrayCodec>, CodecError> {
        let spec = ChunkSpec {
            shape: vec![4],
            data_type: source,
            fill_value: FillValue::default_for(source),
        };
        match create(&meta(cfg), &spec)? {
            Codec::ArrayToArray(c) => Ok(c),
            _ => panic!("array-to-array"),
        }
    }

    fn cast(src: DataType, tgt: DataType, r: Rounding, o: Option<OutOfRange>) -> CastValueCodec {
        CastValueCodec::new(src, tgt, r, o, None).unwrap()
    }

    #[test]
    fn rounding_modes_and_ties() {
        // cast-value-rs 0.5.1:
        //   cast_array(np.array([-2.5,-1.5,-0.5,0.5,1.5,2.5,2.7,-2.7,127.5,-128.5]),
        //              target_dtype="int8", rounding_mode=r, out_of_range_mode="clamp")
        let x = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.7, -2.7, 127.5, -128.5];
        for (r, want) in [
            (
                Rounding::NearestEven,
                [-2, -2, 0, 0, 2, 2, 3, -3, 127, -128],
            ),
            (
                Rounding::TowardsZero,
                [-2, -1, 0, 0, 1, 2, 2, -2, 127, -128],
            ),
            (
                Rounding::TowardsPositive,
                [-2, -1, 0, 1, 2, 3, 3, -2, 127, -128],
            ),
            (
                Rounding::TowardsNegative,
                [-3, -2, -1, 0, 1, 2, 2, -3, 127, -128],
            ),
            (
                Rounding::NearestAway,
                [-3, -2, -1, 1, 2, 3, 3, -3, 127, -128],
            ),
        ] {
            let c = cast(
                DataType::Float64,
                DataType::Int8,
                r,
                Some(OutOfRange::Clamp),
            );
            let got: Vec<Value> = x
                .iter()
                .map(|v| c.encode_value(json!(v)).unwrap())
                .collect();
            assert_eq!(got, want.map(|w| json!(w)).to_vec(), "{r:?}");
        }
        // Float targets: cast_array(np.array([0.1, 1/3, 16777217.0, 1e-46, -1e-46]),
        //   target_dtype="float32", rounding_mode=r).view(np.uint32)
        for (r, want) in [
            (
                Rounding::TowardsNegative,
                [1036831948u32, 1051372202, 1266679808, 0, 2147483649],
            ),
            (
                Rounding::NearestAway,
                [1036831949, 1051372203, 1266679809, 0, 2147483648],
            ),
        ] {
            let c = cast(DataType::Float64, DataType::Float32, r, None);
            let x: Vec<u8> = [0.1f64, 1.0 / 3.0, 16777217.0, 1e-46, -1e-46]
                .iter()
                .flat_map(|v| v.to_ne_bytes())
                .collect();
            let out = c.run(&x, true).unwrap();
            let got: Vec<u32> = out
                .chunks_exact(4)
                .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            assert_eq!(got, want, "{r:?}");
        }
        // Integers into float32, ties away: [2**24+1, 2**24+3, -(2**24+1)] -> [16777218, 16777220, -16777218]
        let c = cast(
            DataType::Int64,
            DataType::Float32,
            Rounding::NearestAway,
            None,
        );
        for (x, want) in [
            (16777217i64, 16777218.0),
            (16777219, 16777220.0),
            (-16777217, -16777218.0),
        ] {
            assert_eq!(c.encode_value(json!(x)).unwrap(), json!(want));
        }
    }

    #[test]
    fn clamp_wrap_and_errors() {
        // cast_array(np.array([200.0, -200.0, 300.0, -1.0, 1e20]), target_dtype="uint8",
        //            rounding_mode="nearest-even", out_of_range_mode="wrap") -> [200, 56, 44, 255, 0]
        let c = cast(
            DataType::Float64,
            DataType::UInt8,
            Rounding::NearestEven,
            Some(OutOfRange::Wrap),
        );
        for (x, want) in [
            (200.0, 200),
            (-200.0, 56),
            (300.0, 44),
            (-1.0, 255),
            (1e20, 0),
        ] {
            assert_eq!(c.encode_value(json!(x)).unwrap(), json!(want));
        }
        // int32 -> int8: wrap [200, -200, 100000, -1] -> [-56, 56, -96, -1]; clamp -> [127, -128, 127, -1]
        let w = cast(
            DataType::Int32,
            DataType::Int8,
            Rounding::NearestEven,
            Some(OutOfRange::Wrap),
        );
        let k = cast(
            DataType::Int32,
            DataType::Int8,
            Rounding::NearestEven,
            Some(OutOfRange::Clamp),
        );
        let e = cast(DataType::Int32, DataType::Int8, Rounding::NearestEven, None);
        for (x, ww, kk) in [
            (200, -56, 127),
            (-200, 56, -128),
            (100000, -96, 127),
            (-1, -1, -1),
        ] {
            assert_eq!(w.encode_value(json!(x)).unwrap(), json!(ww));
            assert_eq!(k.encode_value(json!(x)).unwrap(), json!(kk));
            assert_eq!(e.encode_value(json!(x)).is_ok(), x == -1);
        }
        // NaN and infinities into an integer type fail whatever out_of_range says.
        for o in [None, Some(OutOfRange::Clamp), Some(OutOfRange::Wrap)] {
            let c = cast(DataType::Float64, DataType::Int16, Rounding::NearestEven, o);
            for x in ["NaN", "Infinity", "-Infinity"] {
                assert!(matches!(
                    c.encode_value(json!(x)),
                    Err(CodecError::Encode { .. })
                ));
            }
        }
        // Float targets: 65520 into float16 overflows to nearest; clamp gives infinity;
        // towards-zero keeps 65504 (cast-value-rs 0.5.1).
        let c = cast(
            DataType::Float64,
            DataType::Float16,
            Rounding::NearestEven,
            None,
        );
        assert!(c.encode_value(json!(65520.0)).is_err());
        assert_eq!(c.encode_value(json!(65519.0)).unwrap(), json!(65504.0));
        let c = cast(
            DataType::Float64,
            DataType::Float16,
            Rounding::NearestEven,
            Some(OutOfRange::Clamp),
        );
        assert_eq!(c.encode_value(json!(65520.0)).unwrap(), json!("Infinity"));
        let c = cast(
            DataType::Float64,
            DataType::Float16,
            Rounding::TowardsZero,
            None,
        );
        assert_eq!(c.encode_value(json!(65535.0)).unwrap(), json!(65504.0));
        assert!(c.encode_value(json!(65536.0)).is_err());
        // NaN, infinities and signed zeros carry over between floats.
        let c = cast(
            DataType::Float32,
            DataType::Float64,
            Rounding::NearestEven,
            None,
        );
        assert_eq!(c.encode_value(json!("NaN")).unwrap(), json!("NaN"));
        assert_eq!(
            c.encode_value(json!("-Infinity")).unwrap(),
            json!("-Infinity")
        );
        assert_eq!(c.encode_value(json!(-0.0)).unwrap().to_string(), "-0.0");
    }

    #[test]
    fn scalar_maps() {
        // cast_array(np.array([nan, inf, 1.0]), target_dtype="int16", rounding_mode="nearest-even",
        //            scalar_map_entries={nan: -1, inf: 32767}) -> [-1, 32767, 1]
        let c = build(
            r#"{"name":"cast_value","configuration":{"data_type":"int16",
                "scalar_map":{"encode":[["NaN",-1],["Infinity",32767]],"decode":[[-1,"NaN"]]}}}"#,
            DataType::Float64,
        )
        .unwrap();
        let x: Vec<u8> = [f64::NAN, f64::INFINITY, 1.0]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        let spec = ChunkSpec {
            shape: vec![3],
            data_type: DataType::Float64,
            fill_value: FillValue::default_for(DataType::Float64),
        };
        let ArrayBytes::Fixed(enc) = c.encode(ArrayBytes::Fixed(x), &spec).unwrap() else {
            panic!("fixed")
        };
        let got: Vec<i16> = enc
            .chunks_exact(2)
            .map(|b| i16::from_ne_bytes([b[0], b[1]]))
            .collect();
        assert_eq!(got, [-1, 32767, 1]);
        let ArrayBytes::Fixed(dec) = c.decode(ArrayBytes::Fixed(enc), &spec).unwrap() else {
            panic!("fixed")
        };
        assert!(f64::from_ne_bytes(dec[..8].try_into().unwrap()).is_nan());
        // zarr-python 3.4.2: CastValue(data_type="int16", rounding="nearest-even",
        //   scalar_map={"encode": [("NaN", 0), (1.0, 5), (1, 6)]}).to_dict()
        // == {'name': 'cast_value', 'configuration': {'data_type': 'int16',
        //     'scalar_map': {'encode': [('NaN', 0), (1.0, 6)]}}}
        let c = build(
            r#"{"name":"cast_value","configuration":{"data_type":"int16","rounding":"nearest-even",
                "scalar_map":{"encode":[["NaN",0],[1.0,5],[1,6]]}}}"#,
            DataType::Float64,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&c.to_metadata()).unwrap(),
            r#"{"name":"cast_value","configuration":{"data_type":"int16","scalar_map":{"encode":[["NaN",0],[1.0,6]]}}}"#
        );
    }

    #[test]
    fn configurations() {
        let ok = build(
            r#"{"name":"cast_value","configuration":{"data_type":"uint8","rounding":"towards-zero",
                "out_of_range":"clamp","scalar_map":{}}}"#,
            DataType::Float32,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&ok.to_metadata()).unwrap(),
            r#"{"name":"cast_value","configuration":{"data_type":"uint8","rounding":"towards-zero","out_of_range":"clamp","scalar_map":{}}}"#
        );
        let err = |cfg: &str, src: DataType| build(cfg, src).err();
        for (cfg, src) in [
            (r#"{"name":"cast_value"}"#, DataType::Float32),
            (
                r#"{"name":"cast_value","configuration":{}}"#,
                DataType::Float32,
            ),
            (
                r#"{"name":"cast_value","configuration":{"data_type":"int8","x":1}}"#,
                DataType::Float32,
            ),
            (
                r#"{"name":"cast_value","configuration":{"data_type":"complex64"}}"#,
                DataType::Float32,
            ),
            (
                r#"{"name":"cast_value","configuration":{"data_type":"nope"}}"#,
                DataType::Float32,
            ),
            (
                r#"{"name":"cast_value","configuration":{"data_type":"int8","rounding":"up"}}"#,
                DataType::Float32,
            ),
            (
                r#"{"name":"cast_value","configuration":{"data_type":"int8","rounding":null}}"#,
                DataType::Float32,
            ),
            (
                r#"{"name":"cast_value","configuration":{"data_type":"int8","out_of_range":"saturate"}}"#,
                DataType::Float32,
            ),
            (
                r#"{"name":"cast_value","configuration":{"data_type":"float32","out_of_range":"wrap"}}"#,
                DataType::Int32,
            ),
            (
                r#"{"name":"cast_value","configuration":{"data_type":"int8","scalar_map":{"encode":[["NaN",300]]}}}"#,
                DataType::Float32,
            ),
            (
                r#"{"name":"cast_value","configuration":{"data_type":"int8","scalar_map":{"encode":[[1.5,3]]}}}"#,
                DataType::Int32,
            ),
            (
                r#"{"name":"cast_value","configuration":{"data_type":"int8","scalar_map":{"encode":[[1]]}}}"#,
                DataType::Int32,
            ),
            (
                r#"{"name":"cast_value","configuration":{"data_type":"int8","scalar_map":[]}}"#,
                DataType::Int32,
            ),
            // float("0x7fc00000") fails in zarr-python's _do_cast.
            (
                r#"{"name":"cast_value","configuration":{"data_type":"int8","scalar_map":{"encode":[["0x7fc00000",1]]}}}"#,
                DataType::Float32,
            ),
        ] {
            assert!(
                matches!(err(cfg, src), Some(CodecError::InvalidConfiguration { .. })),
                "{cfg} {src}: {:?}",
                err(cfg, src)
            );
        }
        for (cfg, src) in [
            (
                r#"{"name":"cast_value","configuration":{"data_type":"bfloat16"}}"#,
                DataType::Float32,
            ),
            (
                r#"{"name":"cast_value","configuration":{"data_type":"float8_e4m3"}}"#,
                DataType::Float32,
            ),
            (
                r#"{"name":"cast_value","configuration":{"data_type":"int8"}}"#,
                DataType::Bool,
            ),
            (
                r#"{"name":"cast_value","configuration":{"data_type":"int8"}}"#,
                DataType::Complex128,
            ),
        ] {
            assert!(
                matches!(err(cfg, src), Some(CodecError::Incompatible { .. })),
                "{cfg} {src}"
            );
        }
        // The encoded spec: target type, fill value cast; a NaN fill without a map fails.
        let c = build(
            r#"{"name":"cast_value","configuration":{"data_type":"int16"}}"#,
            DataType::Float64,
        )
        .unwrap();
        let s = ChunkSpec {
            shape: vec![2],
            data_type: DataType::Float64,
            fill_value: FillValue::new(2.5f64.to_ne_bytes().to_vec()),
        };
        let e = c.encoded_spec(&s).unwrap();
        assert_eq!(e.data_type, DataType::Int16);
        assert_eq!(e.fill_value.as_bytes(), 2i16.to_ne_bytes());
        let s = ChunkSpec {
            fill_value: FillValue::new(f64::NAN.to_ne_bytes().to_vec()),
            ..s
        };
        assert!(matches!(
            c.encoded_spec(&s),
            Err(CodecError::Incompatible { .. })
        ));
    }
}
