//! Fill values: parsing from and writing to the JSON forms of `zarr.json`.

use super::{DataType, DataTypeError};
use half::f16;
use serde_json::{json, Number, Value};

/// The fill value of an array: one element's bytes, native-endian for
/// fixed-size types, UTF-8 for `string`, raw bytes for `variable_length_bytes`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FillValue(Vec<u8>);

impl FillValue {
    /// A fill value from its native-endian element bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        FillValue(bytes)
    }

    /// The element bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The default fill value zarr-python uses for a data type: zero, false,
    /// the empty string, or `NaT` for `datetime64` / `timedelta64`.
    pub fn default_for(data_type: DataType) -> Self {
        if let DataType::Time(_) = data_type {
            return FillValue(super::NAT.to_ne_bytes().to_vec());
        }
        FillValue(vec![0; data_type.size().unwrap_or(0)])
    }

    /// True when every byte of `element` equals this fill value, bit for bit
    /// (so `-0.0` differs from `0.0` and a NaN equals the same NaN).
    pub fn equals_element(&self, element: &[u8]) -> bool {
        self.0 == element
    }
}

fn invalid(data_type: DataType, value: &Value, reason: impl Into<String>) -> DataTypeError {
    DataTypeError::InvalidFillValue {
        data_type,
        value: value.to_string(),
        reason: reason.into(),
    }
}

fn parse_float(data_type: DataType, bits: usize, value: &Value) -> Result<f64, DataTypeError> {
    match value {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| invalid(data_type, value, "not a finite number")),
        Value::String(s) => match s.as_str() {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            // A bare NaN / Infinity token in the document (Python's json).
            _ => crate::metadata::json::non_finite(s).ok_or_else(|| {
                invalid(
                    data_type,
                    value,
                    "expected a number, \"NaN\", \"Infinity\", \"-Infinity\" or a 0x hex bit pattern",
                )
            }),
        },
        _ => Err(invalid(
            data_type,
            value,
            format!("expected a float{bits} value"),
        )),
    }
}

/// Parse a "0x..." hex bit pattern of exactly `size` bytes (big-endian digits).
fn parse_hex(s: &str, size: usize) -> Option<u64> {
    let digits = s.strip_prefix("0x")?;
    if digits.len() != size * 2 {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

fn float_component(
    data_type: DataType,
    size: usize,
    value: &Value,
) -> Result<Vec<u8>, DataTypeError> {
    if let Value::String(s) = value {
        if s.starts_with("0x") {
            let bits = parse_hex(s, size).ok_or_else(|| {
                invalid(
                    data_type,
                    value,
                    format!("hex bit pattern must have {} digits", size * 2),
                )
            })?;
            return Ok(match size {
                2 => (bits as u16).to_ne_bytes().to_vec(),
                4 => (bits as u32).to_ne_bytes().to_vec(),
                _ => bits.to_ne_bytes().to_vec(),
            });
        }
    }
    let v = parse_float(data_type, size * 8, value)?;
    Ok(match size {
        2 if data_type == DataType::BFloat16 => half::bf16::from_f64(v).to_ne_bytes().to_vec(),
        2 => f16::from_f64(v).to_ne_bytes().to_vec(),
        4 => (v as f32).to_ne_bytes().to_vec(),
        _ => v.to_ne_bytes().to_vec(),
    })
}

fn parse_int(data_type: DataType, value: &Value) -> Result<i128, DataTypeError> {
    match value {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(i as i128)
            } else if let Some(u) = n.as_u64() {
                Ok(u as i128)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                if f.fract() == 0.0 && f.is_finite() {
                    Ok(f as i128)
                } else {
                    Err(invalid(data_type, value, "not an integer"))
                }
            }
        }
        _ => Err(invalid(data_type, value, "expected an integer")),
    }
}

fn float_to_json(v: f64, bits_hex: Option<String>) -> Value {
    if v.is_nan() {
        // zarr-python writes every NaN as "NaN" unless it is not the
        // canonical quiet NaN, in which case the bit pattern keeps it exact.
        match bits_hex {
            Some(h) => Value::String(h),
            None => json!("NaN"),
        }
    } else if v == f64::INFINITY {
        json!("Infinity")
    } else if v == f64::NEG_INFINITY {
        json!("-Infinity")
    } else {
        Number::from_f64(v).map_or(Value::Null, Value::Number)
    }
}

fn component_to_json(size: usize, bytes: &[u8]) -> Value {
    match size {
        2 => {
            let b = u16::from_ne_bytes([bytes[0], bytes[1]]);
            let v = f16::from_bits(b);
            let canonical = f16::NAN.to_bits();
            let hex = (v.is_nan() && b != canonical).then(|| format!("0x{b:04x}"));
            float_to_json(v.to_f64(), hex)
        }
        4 => {
            let b = u32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
            let v = f32::from_bits(b);
            let hex = (v.is_nan() && b != f32::NAN.to_bits()).then(|| format!("0x{b:08x}"));
            // zarr-python writes the float64 value of the float32 (0.1f32 is
            // 0.10000000149011612), which parses back to the same float32.
            float_to_json(v as f64, hex)
        }
        _ => {
            let mut a = [0u8; 8];
            a.copy_from_slice(&bytes[..8]);
            let b = u64::from_ne_bytes(a);
            let v = f64::from_bits(b);
            let hex = (v.is_nan() && b != f64::NAN.to_bits()).then(|| format!("0x{b:016x}"));
            float_to_json(v, hex)
        }
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding, as Python's `base64.standard_b64encode`.
pub(crate) fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(B64[(n >> 18) as usize & 63] as char);
        out.push(B64[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            B64[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            B64[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

/// Standard base64 decoding; `None` on any invalid character or length.
pub(crate) fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.as_bytes();
    if !s.len().is_multiple_of(4) {
        return None;
    }
    let val = |c: u8| B64.iter().position(|&x| x == c).map(|p| p as u32);
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    for (i, q) in s.chunks(4).enumerate() {
        let last = i == s.len() / 4 - 1;
        let pad = q.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for &c in &q[..4 - pad] {
            n = (n << 6) | val(c)?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

impl DataType {
    /// Parse a fill value from its `.zarray` (Zarr V2) form: as
    /// [`DataType::fill_value_from_json`] except for structs, whose base64
    /// form holds each field in its declared byte order. (`null` is for the
    /// caller: the data type's default.)
    pub fn fill_value_from_json_v2(&self, value: &Value) -> Result<FillValue, DataTypeError> {
        self.fill_value_from_json_format(value, true)
    }

    /// Write a fill value in the `.zarray` (Zarr V2) form zarr-python
    /// writes: as [`DataType::fill_value_to_json`] except for structs,
    /// written as base64 of the element bytes in the fields' V2 byte orders.
    pub fn fill_value_to_json_v2(&self, fill_value: &FillValue) -> Value {
        match self {
            DataType::Struct(s) if s.size() == fill_value.as_bytes().len() => {
                s.fill_to_json_v2(fill_value.as_bytes())
            }
            d => d.fill_value_to_json(fill_value),
        }
    }

    /// Parse a fill value from its `zarr.json` form.
    pub fn fill_value_from_json(&self, value: &Value) -> Result<FillValue, DataTypeError> {
        self.fill_value_from_json_format(value, false)
    }

    /// Parse a fill value from its V2 (`v2`) or V3 form.
    pub(crate) fn fill_value_from_json_format(
        &self,
        value: &Value,
        v2: bool,
    ) -> Result<FillValue, DataTypeError> {
        let dt = *self;
        let bytes = match dt {
            DataType::Bool => match value {
                Value::Bool(b) => vec![u8::from(*b)],
                Value::Number(_) => match parse_int(dt, value)? {
                    0 => vec![0],
                    1 => vec![1],
                    _ => return Err(invalid(dt, value, "expected true or false")),
                },
                _ => return Err(invalid(dt, value, "expected true or false")),
            },
            DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64 => {
                let i = parse_int(dt, value)?;
                let out_of_range = || invalid(dt, value, "out of range for the data type");
                match dt {
                    DataType::Int8 => i8::try_from(i)
                        .map_err(|_| out_of_range())?
                        .to_ne_bytes()
                        .to_vec(),
                    DataType::Int16 => i16::try_from(i)
                        .map_err(|_| out_of_range())?
                        .to_ne_bytes()
                        .to_vec(),
                    DataType::Int32 => i32::try_from(i)
                        .map_err(|_| out_of_range())?
                        .to_ne_bytes()
                        .to_vec(),
                    DataType::Int64 => i64::try_from(i)
                        .map_err(|_| out_of_range())?
                        .to_ne_bytes()
                        .to_vec(),
                    DataType::UInt8 => u8::try_from(i)
                        .map_err(|_| out_of_range())?
                        .to_ne_bytes()
                        .to_vec(),
                    DataType::UInt16 => u16::try_from(i)
                        .map_err(|_| out_of_range())?
                        .to_ne_bytes()
                        .to_vec(),
                    DataType::UInt32 => u32::try_from(i)
                        .map_err(|_| out_of_range())?
                        .to_ne_bytes()
                        .to_vec(),
                    _ => u64::try_from(i)
                        .map_err(|_| out_of_range())?
                        .to_ne_bytes()
                        .to_vec(),
                }
            }
            DataType::Time(_) => match value {
                Value::String(s) if s == "NaT" => super::NAT.to_ne_bytes().to_vec(),
                _ => i64::try_from(parse_int(dt, value)?)
                    .map_err(|_| invalid(dt, value, "out of range for a 64-bit time"))?
                    .to_ne_bytes()
                    .to_vec(),
            },
            DataType::Float16 | DataType::BFloat16 => float_component(dt, 2, value)?,
            DataType::Float32 => float_component(dt, 4, value)?,
            DataType::Float64 => float_component(dt, 8, value)?,
            DataType::Complex64 | DataType::Complex128 => {
                let size = dt.component_size().unwrap_or(8);
                match value {
                    Value::Array(parts) if parts.len() == 2 => {
                        let mut b = float_component(dt, size, &parts[0])?;
                        b.extend(float_component(dt, size, &parts[1])?);
                        b
                    }
                    _ => return Err(invalid(dt, value, "expected a [real, imaginary] pair")),
                }
            }
            DataType::String => match value {
                Value::String(s) => s.as_bytes().to_vec(),
                _ => return Err(invalid(dt, value, "expected a string")),
            },
            DataType::Bytes => match value {
                Value::String(s) => base64_decode(s)
                    .ok_or_else(|| invalid(dt, value, "expected a base64 string"))?,
                Value::Array(items) => items
                    .iter()
                    .map(|v| v.as_u64().and_then(|b| u8::try_from(b).ok()))
                    .collect::<Option<Vec<u8>>>()
                    .ok_or_else(|| invalid(dt, value, "expected a list of byte values"))?,
                _ => return Err(invalid(dt, value, "expected a base64 string")),
            },
            DataType::FixedBytes(n) => {
                let mut b = match value {
                    Value::String(s) => base64_decode(s)
                        .ok_or_else(|| invalid(dt, value, "expected a base64 string"))?,
                    _ => return Err(invalid(dt, value, "expected a base64 string")),
                };
                if b.len() > n as usize {
                    return Err(invalid(dt, value, format!("longer than {n} bytes")));
                }
                b.resize(n as usize, 0);
                b
            }
            // As zarr-python: base64, shorter values padded with zeros and
            // longer ones cut to the length.
            DataType::RawBytes(n) => {
                let mut b = match value {
                    Value::String(s) => base64_decode(s)
                        .ok_or_else(|| invalid(dt, value, "expected a base64 string"))?,
                    _ => return Err(invalid(dt, value, "expected a base64 string")),
                };
                b.resize(n as usize, 0);
                b
            }
            DataType::Struct(s) => s.fill_from_json(value, v2)?,
            DataType::FixedUtf32(n) => {
                let s = match value {
                    Value::String(s) => s,
                    _ => return Err(invalid(dt, value, "expected a string")),
                };
                if s.chars().count() > n as usize {
                    return Err(invalid(dt, value, format!("longer than {n} characters")));
                }
                let mut b: Vec<u8> = s.chars().flat_map(|c| (c as u32).to_ne_bytes()).collect();
                b.resize(n as usize * 4, 0);
                b
            }
        };
        Ok(FillValue(bytes))
    }

    /// Write a fill value in the JSON form zarr-python writes.
    pub fn fill_value_to_json(&self, fill_value: &FillValue) -> Value {
        let b = fill_value.as_bytes();
        if self.size().is_some_and(|s| s != b.len()) {
            return Value::Null;
        }
        macro_rules! int {
            ($t:ty) => {{
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(b);
                json!(<$t>::from_ne_bytes(a))
            }};
        }
        match self {
            DataType::Bool => Value::Bool(b[0] != 0),
            DataType::Int8 => int!(i8),
            DataType::Int16 => int!(i16),
            DataType::Int32 => int!(i32),
            DataType::Int64 | DataType::Time(_) => int!(i64),
            DataType::UInt8 => int!(u8),
            DataType::UInt16 => int!(u16),
            DataType::UInt32 => int!(u32),
            DataType::UInt64 => int!(u64),
            DataType::Float16 => component_to_json(2, b),
            DataType::BFloat16 => {
                let bits = u16::from_ne_bytes([b[0], b[1]]);
                let v = half::bf16::from_bits(bits);
                let canonical = half::bf16::NAN.to_bits();
                let hex = (v.is_nan() && bits != canonical).then(|| format!("0x{bits:04x}"));
                float_to_json(v.to_f64(), hex)
            }
            DataType::Float32 => component_to_json(4, b),
            DataType::Float64 => component_to_json(8, b),
            DataType::Complex64 => {
                json!([component_to_json(4, &b[..4]), component_to_json(4, &b[4..])])
            }
            DataType::Complex128 => {
                json!([component_to_json(8, &b[..8]), component_to_json(8, &b[8..])])
            }
            DataType::String => Value::String(String::from_utf8_lossy(b).into_owned()),
            DataType::Bytes => Value::String(base64_encode(b)),
            DataType::FixedBytes(_) => {
                let end = b.iter().rposition(|&x| x != 0).map_or(0, |i| i + 1);
                Value::String(base64_encode(&b[..end]))
            }
            DataType::RawBytes(_) => Value::String(base64_encode(b)),
            DataType::Struct(s) => s.fill_to_json_v3(b),
            DataType::FixedUtf32(_) => {
                let s: String = b
                    .chunks_exact(4)
                    .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
                    .map(|u| char::from_u32(u).unwrap_or(char::REPLACEMENT_CHARACTER))
                    .collect();
                Value::String(s.trim_end_matches('\0').to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt(dt: DataType, v: Value) -> Value {
        let fv = dt.fill_value_from_json(&v).unwrap();
        dt.fill_value_to_json(&fv)
    }

    #[test]
    fn bfloat16() {
        let dt = DataType::from_name("bfloat16").unwrap();
        assert_eq!(dt, DataType::BFloat16);
        assert_eq!(dt.size(), Some(2));
        for v in [
            json!("NaN"),
            json!("Infinity"),
            json!("-Infinity"),
            json!(1.5),
            json!(-0.0),
        ] {
            assert_eq!(rt(dt, v.clone()), v);
        }
        // bfloat16 keeps float32's exponent: 3e38 is finite (float16 would overflow).
        let fv = dt.fill_value_from_json(&json!(3e38)).unwrap();
        assert_eq!(fv.as_bytes(), half::bf16::from_f64(3e38).to_ne_bytes());
        assert!(half::bf16::from_f64(3e38).is_finite());
        // 1/3 rounds to the nearest bfloat16, written as its exact value.
        assert_eq!(rt(dt, json!(0.3333333333)), json!(0.333984375));
        // A NaN with a payload keeps its bits, as a hex string.
        assert_eq!(rt(dt, json!("0x7fc1")), json!("0x7fc1"));
        assert!(dt.fill_value_from_json(&json!("0x7fc")).is_err());
        assert_eq!(dt.numpy_str(), None);
    }

    #[test]
    fn floats() {
        assert_eq!(rt(DataType::Float64, json!("NaN")), json!("NaN"));
        assert_eq!(rt(DataType::Float32, json!("Infinity")), json!("Infinity"));
        assert_eq!(
            rt(DataType::Float16, json!("-Infinity")),
            json!("-Infinity")
        );
        assert_eq!(rt(DataType::Float64, json!(-0.0)).to_string(), "-0.0");
        assert_eq!(rt(DataType::Float32, json!(1.5)), json!(1.5));
        assert_eq!(
            rt(DataType::Float32, json!(0.1)).to_string(),
            "0.10000000149011612"
        );
        assert_eq!(rt(DataType::Float64, json!(0)).to_string(), "0.0");
        // A hex bit pattern of 1.0
        let fv = DataType::Float32
            .fill_value_from_json(&json!("0x3f800000"))
            .unwrap();
        assert_eq!(fv.as_bytes(), 1.0f32.to_ne_bytes());
        // A non-canonical NaN keeps its bits.
        assert_eq!(
            rt(DataType::Float32, json!("0x7fc00001")),
            json!("0x7fc00001")
        );
        assert!(DataType::Float32
            .fill_value_from_json(&json!("0x3f80"))
            .is_err());
        assert!(DataType::Float32
            .fill_value_from_json(&json!("nan"))
            .is_err());
    }

    #[test]
    fn ints_and_bools() {
        assert_eq!(rt(DataType::Int8, json!(-128)), json!(-128));
        assert!(DataType::Int8.fill_value_from_json(&json!(128)).is_err());
        assert_eq!(rt(DataType::UInt64, json!(u64::MAX)), json!(u64::MAX));
        assert!(DataType::UInt8.fill_value_from_json(&json!(-1)).is_err());
        assert!(DataType::Int32.fill_value_from_json(&json!(1.5)).is_err());
        assert_eq!(rt(DataType::Bool, json!(true)), json!(true));
        assert!(DataType::Bool.fill_value_from_json(&json!("x")).is_err());
    }

    #[test]
    fn complex_strings_bytes() {
        assert_eq!(
            rt(DataType::Complex64, json!([1.0, "NaN"])),
            json!([1.0, "NaN"])
        );
        assert!(DataType::Complex128
            .fill_value_from_json(&json!(1.0))
            .is_err());
        assert_eq!(rt(DataType::String, json!("abc")), json!("abc"));
        assert_eq!(rt(DataType::Bytes, json!("YWIA")), json!("YWIA"));
        let fv = DataType::Bytes
            .fill_value_from_json(&json!("YWIA"))
            .unwrap();
        assert_eq!(fv.as_bytes(), b"ab\0");
        assert!(DataType::Bytes.fill_value_from_json(&json!("@@")).is_err());
    }

    #[test]
    fn base64() {
        for s in [&b""[..], b"a", b"ab", b"abc", b"abcd", &[0, 255, 128, 7]] {
            assert_eq!(base64_decode(&base64_encode(s)).unwrap(), s);
        }
        assert_eq!(base64_encode(b"ab\0"), "YWIA");
    }
}
