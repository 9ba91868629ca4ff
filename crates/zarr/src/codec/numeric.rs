//! Numeric helpers shared by the `scale_offset` and `cast_value` codecs:
//! the element kinds they work on, numeric scalars as zarr-python 3.4.2 reads
//! them from JSON (`ZDType.from_json_scalar` and Python's `int()` /
//! `float()`), and exact rounding of a binary value to an IEEE 754 format
//! under each rounding mode.

use crate::dtype::DataType;
use crate::metadata::json::non_finite;
use half::f16;
use serde_json::Value;

/// The numeric element kinds both codecs work on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F16,
    F32,
    F64,
}

impl Kind {
    /// The kind of a data type, when it is an integer or float type.
    pub(crate) fn of(dt: DataType) -> Option<Kind> {
        Some(match dt {
            DataType::Int8 => Kind::I8,
            DataType::Int16 => Kind::I16,
            DataType::Int32 => Kind::I32,
            DataType::Int64 => Kind::I64,
            DataType::UInt8 => Kind::U8,
            DataType::UInt16 => Kind::U16,
            DataType::UInt32 => Kind::U32,
            DataType::UInt64 => Kind::U64,
            DataType::Float16 => Kind::F16,
            DataType::Float32 => Kind::F32,
            DataType::Float64 => Kind::F64,
            _ => return None,
        })
    }

    /// Bytes per element.
    pub(crate) fn size(self) -> usize {
        match self {
            Kind::I8 | Kind::U8 => 1,
            Kind::I16 | Kind::U16 | Kind::F16 => 2,
            Kind::I32 | Kind::U32 | Kind::F32 => 4,
            Kind::I64 | Kind::U64 | Kind::F64 => 8,
        }
    }

    /// True for the float kinds.
    pub(crate) fn is_float(self) -> bool {
        matches!(self, Kind::F16 | Kind::F32 | Kind::F64)
    }

    /// The inclusive range of an integer kind (floats: the whole `i128` range).
    pub(crate) fn int_range(self) -> (i128, i128) {
        match self {
            Kind::I8 => (i8::MIN.into(), i8::MAX.into()),
            Kind::I16 => (i16::MIN.into(), i16::MAX.into()),
            Kind::I32 => (i32::MIN.into(), i32::MAX.into()),
            Kind::I64 => (i64::MIN.into(), i64::MAX.into()),
            Kind::U8 => (0, u8::MAX.into()),
            Kind::U16 => (0, u16::MAX.into()),
            Kind::U32 => (0, u32::MAX.into()),
            Kind::U64 => (0, u64::MAX.into()),
            _ => (i128::MIN, i128::MAX),
        }
    }

    /// The IEEE 754 format of a float kind.
    pub(crate) fn format(self) -> Option<FloatFormat> {
        match self {
            Kind::F16 => Some(FloatFormat {
                mant_bits: 10,
                bias: 15,
            }),
            Kind::F32 => Some(FloatFormat {
                mant_bits: 23,
                bias: 127,
            }),
            Kind::F64 => Some(FloatFormat {
                mant_bits: 52,
                bias: 1023,
            }),
            _ => None,
        }
    }
}

/// One numeric element or scalar: integers exactly, floats in their own type.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Val {
    Int(i128),
    F16(f16),
    F32(f32),
    F64(f64),
}

impl Val {
    /// Read one element of `kind` from its native-endian bytes (`kind.size()` of them).
    pub(crate) fn read(kind: Kind, b: &[u8]) -> Val {
        fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
            let mut a = [0u8; N];
            let n = N.min(b.len());
            a[..n].copy_from_slice(&b[..n]);
            a
        }
        match kind {
            Kind::I8 => Val::Int(i8::from_ne_bytes(arr(b)).into()),
            Kind::I16 => Val::Int(i16::from_ne_bytes(arr(b)).into()),
            Kind::I32 => Val::Int(i32::from_ne_bytes(arr(b)).into()),
            Kind::I64 => Val::Int(i64::from_ne_bytes(arr(b)).into()),
            Kind::U8 => Val::Int(u8::from_ne_bytes(arr(b)).into()),
            Kind::U16 => Val::Int(u16::from_ne_bytes(arr(b)).into()),
            Kind::U32 => Val::Int(u32::from_ne_bytes(arr(b)).into()),
            Kind::U64 => Val::Int(u64::from_ne_bytes(arr(b)).into()),
            Kind::F16 => Val::F16(f16::from_ne_bytes(arr(b))),
            Kind::F32 => Val::F32(f32::from_ne_bytes(arr(b))),
            Kind::F64 => Val::F64(f64::from_ne_bytes(arr(b))),
        }
    }

    /// Append this value as an element of `kind`. Integers are truncated to
    /// the kind's width (callers check ranges first); a float is written as
    /// its own bits.
    pub(crate) fn write(self, kind: Kind, out: &mut Vec<u8>) {
        match (self, kind) {
            (Val::Int(i), Kind::I8) => out.extend_from_slice(&(i as i8).to_ne_bytes()),
            (Val::Int(i), Kind::I16) => out.extend_from_slice(&(i as i16).to_ne_bytes()),
            (Val::Int(i), Kind::I32) => out.extend_from_slice(&(i as i32).to_ne_bytes()),
            (Val::Int(i), Kind::I64) => out.extend_from_slice(&(i as i64).to_ne_bytes()),
            (Val::Int(i), Kind::U8) => out.extend_from_slice(&(i as u8).to_ne_bytes()),
            (Val::Int(i), Kind::U16) => out.extend_from_slice(&(i as u16).to_ne_bytes()),
            (Val::Int(i), Kind::U32) => out.extend_from_slice(&(i as u32).to_ne_bytes()),
            (Val::Int(i), _) => out.extend_from_slice(&(i as u64).to_ne_bytes()),
            (Val::F16(x), _) => out.extend_from_slice(&x.to_ne_bytes()),
            (Val::F32(x), _) => out.extend_from_slice(&x.to_ne_bytes()),
            (Val::F64(x), _) => out.extend_from_slice(&x.to_ne_bytes()),
        }
    }

    /// The value as an `f64` (exact for every float kind; for messages and
    /// comparisons with zero).
    pub(crate) fn as_f64(self) -> f64 {
        match self {
            Val::Int(i) => i as f64,
            Val::F16(x) => x.to_f64(),
            Val::F32(x) => f64::from(x),
            Val::F64(x) => x,
        }
    }

    /// True for a NaN float.
    pub(crate) fn is_nan(self) -> bool {
        match self {
            Val::Int(_) => false,
            v => v.as_f64().is_nan(),
        }
    }
}

impl std::fmt::Display for Val {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Val::Int(i) => write!(f, "{i}"),
            v => write!(f, "{}", v.as_f64()),
        }
    }
}

/// An IEEE 754 binary format: explicit mantissa bits and exponent bias.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FloatFormat {
    pub(crate) mant_bits: u32,
    pub(crate) bias: i32,
}

impl FloatFormat {
    /// The bits of +infinity: every exponent bit set.
    fn inf_bits(self) -> u64 {
        ((2 * self.bias + 1) as u64) << self.mant_bits
    }
    /// The sign bit: above the mantissa and the exponent (5, 8 or 11 bits).
    fn sign_bit(self) -> u64 {
        let exp_bits = ((2 * self.bias + 2) as u32).trailing_zeros();
        1u64 << (self.mant_bits + exp_bits)
    }
}

/// The five rounding modes of `cast_value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    /// To nearest, ties to even (`"nearest-even"`, the default).
    NearestEven,
    /// Truncation (`"towards-zero"`).
    TowardsZero,
    /// Ceiling (`"towards-positive"`).
    TowardsPositive,
    /// Floor (`"towards-negative"`).
    TowardsNegative,
    /// To nearest, ties away from zero (`"nearest-away"`).
    NearestAway,
}

impl Rounding {
    /// The name in metadata.
    pub fn name(self) -> &'static str {
        match self {
            Rounding::NearestEven => "nearest-even",
            Rounding::TowardsZero => "towards-zero",
            Rounding::TowardsPositive => "towards-positive",
            Rounding::TowardsNegative => "towards-negative",
            Rounding::NearestAway => "nearest-away",
        }
    }

    /// Parse a metadata name.
    pub fn from_name(s: &str) -> Option<Rounding> {
        [
            Rounding::NearestEven,
            Rounding::TowardsZero,
            Rounding::TowardsPositive,
            Rounding::TowardsNegative,
            Rounding::NearestAway,
        ]
        .into_iter()
        .find(|r| r.name() == s)
    }

    /// Round a float to an integral value (exact: no overflow is possible).
    pub(crate) fn round_integral(self, x: f64) -> f64 {
        match self {
            Rounding::NearestEven => x.round_ties_even(),
            Rounding::TowardsZero => x.trunc(),
            Rounding::TowardsPositive => x.ceil(),
            Rounding::TowardsNegative => x.floor(),
            Rounding::NearestAway => x.round(),
        }
    }
}

/// The result of rounding a value into a float format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rounded {
    /// The bits of the rounded value (which may be a zero).
    Bits(u64),
    /// The rounded magnitude is beyond the largest finite value.
    Overflow,
}

/// Round `(-1)^neg * mag * 2^exp2` into `fmt` under `mode`, exactly (one
/// rounding, subnormals included). The exponent range is unbounded above:
/// a rounded magnitude above the largest finite value is [`Rounded::Overflow`],
/// whatever the mode (this is what cast-value-rs 0.5.1 does: towards-zero
/// of 65536 into float16 overflows, it does not give 65504).
pub(crate) fn round_to_format(
    neg: bool,
    mag: u128,
    exp2: i32,
    fmt: FloatFormat,
    mode: Rounding,
) -> Rounded {
    let sign = if neg { fmt.sign_bit() } else { 0 };
    if mag == 0 {
        return Rounded::Bits(sign);
    }
    let nbits = 128 - mag.leading_zeros() as i32;
    let top = exp2 + nbits - 1; // value in [2^top, 2^(top+1))
    let emin = 1 - fmt.bias;
    let mb = fmt.mant_bits as i32;
    let q = top.max(emin) - mb; // exponent of the last kept bit
    let qmin = emin - mb;
    let shift = q - exp2; // bits to drop
    let (mut int, cmp_half, inexact) = if shift <= 0 {
        match mag.checked_shl((-shift) as u32) {
            Some(v) if (-shift) < 128 => (v, std::cmp::Ordering::Less, false),
            _ => return Rounded::Overflow,
        }
    } else if shift >= 128 {
        (0u128, std::cmp::Ordering::Less, true)
    } else {
        let rem = mag & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        (mag >> shift, rem.cmp(&half), rem != 0)
    };
    let up = match mode {
        Rounding::NearestEven => {
            cmp_half == std::cmp::Ordering::Greater
                || (cmp_half == std::cmp::Ordering::Equal && int & 1 == 1)
        }
        Rounding::NearestAway => inexact && cmp_half != std::cmp::Ordering::Less,
        Rounding::TowardsZero => false,
        Rounding::TowardsPositive => inexact && !neg,
        Rounding::TowardsNegative => inexact && neg,
    };
    if up {
        int += 1;
    }
    let field = (q - qmin) as u128; // q >= qmin always
    let bits = match field
        .checked_shl(fmt.mant_bits)
        .and_then(|f| f.checked_add(int))
    {
        Some(b) => b,
        None => return Rounded::Overflow,
    };
    if bits >= u128::from(fmt.inf_bits()) {
        return Rounded::Overflow;
    }
    Rounded::Bits(bits as u64 | sign)
}

/// Split a finite nonzero-or-zero `f64` into sign, integer mantissa and
/// binary exponent: `x = (-1)^neg * mag * 2^exp2`.
pub(crate) fn decompose(x: f64) -> (bool, u128, i32) {
    let b = x.to_bits();
    let neg = b >> 63 == 1;
    let e = ((b >> 52) & 0x7ff) as i32;
    let m = b & ((1u64 << 52) - 1);
    if e == 0 {
        (neg, u128::from(m), -1074)
    } else {
        (neg, u128::from(m | (1u64 << 52)), e - 1075)
    }
}

/// A float kind's value from its bits.
pub(crate) fn from_bits(kind: Kind, bits: u64) -> Val {
    match kind {
        Kind::F16 => Val::F16(f16::from_bits(bits as u16)),
        Kind::F32 => Val::F32(f32::from_bits(bits as u32)),
        _ => Val::F64(f64::from_bits(bits)),
    }
}

/// `x` (any `f64`) as the float `kind`, to nearest with ties to even and
/// overflow to infinity: numpy's `np.float16(x)` / `np.float32(x)`.
pub(crate) fn f64_to_float_kind(x: f64, kind: Kind) -> Val {
    match kind {
        Kind::F32 => Val::F32(x as f32),
        Kind::F16 => {
            if !x.is_finite() {
                return Val::F16(f16::from_f64(x));
            }
            let (neg, mag, e) = decompose(x);
            let fmt = Kind::F16.format().unwrap_or(FloatFormat {
                mant_bits: 10,
                bias: 15,
            });
            match round_to_format(neg, mag, e, fmt, Rounding::NearestEven) {
                Rounded::Bits(b) => from_bits(Kind::F16, b),
                Rounded::Overflow => Val::F16(if neg {
                    f16::NEG_INFINITY
                } else {
                    f16::INFINITY
                }),
            }
        }
        _ => Val::F64(x),
    }
}

/// Python's `int(s)` for a string: surrounding whitespace, a sign, decimal
/// digits with single underscores between them. Values beyond `i128`
/// saturate (they are out of range for every data type anyway).
pub(crate) fn py_int_str(s: &str) -> Option<i128> {
    let t = s.trim();
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits = py_digits(body)?;
    let mut v: i128 = 0;
    for d in digits.bytes() {
        v = match v
            .checked_mul(10)
            .and_then(|v| v.checked_add(i128::from(d - b'0')))
        {
            Some(v) => v,
            None => return Some(if neg { i128::MIN } else { i128::MAX }),
        };
    }
    Some(if neg { -v } else { v })
}

/// Digits with single underscores between them (Python's numeric literal
/// rule), underscores removed.
fn py_digits(body: &str) -> Option<String> {
    let mut out = String::with_capacity(body.len());
    let mut prev_digit = false;
    let mut pending_underscore = false;
    for c in body.chars() {
        if c.is_ascii_digit() {
            out.push(c);
            prev_digit = true;
            pending_underscore = false;
        } else if c == '_' && prev_digit {
            prev_digit = false;
            pending_underscore = true;
        } else {
            return None;
        }
    }
    (!out.is_empty() && !pending_underscore).then_some(out)
}

/// Python's `float(s)` for a string: whitespace, a sign, `inf`, `infinity`
/// and `nan` in any case, decimal literals with underscores between digits.
pub(crate) fn py_float_str(s: &str) -> Option<f64> {
    let t = s.trim();
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let lower = body.to_ascii_lowercase();
    let v = match lower.as_str() {
        "inf" | "infinity" => f64::INFINITY,
        "nan" => f64::NAN,
        _ => {
            let b = body.as_bytes();
            let mut clean = String::with_capacity(b.len());
            for (i, &c) in b.iter().enumerate() {
                match c {
                    b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-' => clean.push(c as char),
                    b'_' if i > 0
                        && b[i - 1].is_ascii_digit()
                        && b.get(i + 1).is_some_and(u8::is_ascii_digit) => {}
                    _ => return None,
                }
            }
            if !clean.bytes().any(|c| c.is_ascii_digit()) {
                return None;
            }
            clean.parse::<f64>().ok()?
        }
    };
    Some(if neg { -v } else { v })
}

/// zarr-python 3.4.2's `ZDType.from_json_scalar(v, zarr_format=3)` for the
/// integer and float kinds: integers from JSON integers, booleans,
/// integral floats and integer strings, range-checked; floats from numbers,
/// `"NaN"`, `"Infinity"`, `"-Infinity"`, `"0x"` hex bit patterns of 4, 8 or
/// 16 digits and float strings, rounded into the kind.
pub(crate) fn json_scalar(kind: Kind, v: &Value) -> Result<Val, String> {
    if kind.is_float() {
        let x = match v {
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Number(n) => n.as_f64().ok_or("not a number")?,
            Value::String(s) => {
                if let Some(x) = non_finite(s) {
                    x
                } else if s == "NaN" {
                    f64::NAN
                } else if s == "Infinity" {
                    f64::INFINITY
                } else if s == "-Infinity" {
                    f64::NEG_INFINITY
                } else if let Some(hex) = s.strip_prefix("0x") {
                    hex_float(hex).ok_or("a hex float needs 4, 8 or 16 hex digits")?
                } else {
                    py_float_str(s)
                        .ok_or("expected a float or a special string encoding of a float")?
                }
            }
            _ => return Err("expected a float or a special string encoding of a float".into()),
        };
        return Ok(f64_to_float_kind(x, kind));
    }
    let i: i128 = match v {
        Value::Bool(b) => i128::from(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into()
            } else if let Some(u) = n.as_u64() {
                u.into()
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                if !(f.is_finite() && f.fract() == 0.0) {
                    return Err("expected an integer".into());
                }
                if f.abs() >= 2f64.powi(127) {
                    return Err("out of range".into());
                }
                f as i128
            }
        }
        Value::String(s) if non_finite(s).is_none() => {
            py_int_str(s).ok_or("expected an integer")?
        }
        _ => return Err("expected an integer".into()),
    };
    let (lo, hi) = kind.int_range();
    if i < lo || i > hi {
        return Err(format!("{i} is out of range [{lo}, {hi}]"));
    }
    Ok(Val::Int(i))
}

/// A `0x` hex float: 4 digits are float16 bits, 8 float32, 16 float64.
fn hex_float(hex: &str) -> Option<f64> {
    if !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let bits = u64::from_str_radix(hex, 16).ok()?;
    match hex.len() {
        4 => Some(f16::from_bits(bits as u16).to_f64()),
        8 => Some(f64::from(f32::from_bits(bits as u32))),
        16 => Some(f64::from_bits(bits)),
        _ => None,
    }
}

/// Python's `int(v)` of a JSON value (`cast_value` scalar maps for integer
/// types): integers, booleans, floats truncated, integer strings.
pub(crate) fn py_int(v: &Value) -> Option<i128> {
    match v {
        Value::Bool(b) => Some(i128::from(*b)),
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite() && f.abs() < 2f64.powi(127))
                    .map(|f| f.trunc() as i128)
            }),
        Value::String(s) if non_finite(s).is_none() => py_int_str(s),
        _ => None,
    }
}

/// Python's `float(v)` of a JSON value (`cast_value` scalar maps for float
/// types): numbers, booleans, `"NaN"`/`"Infinity"` and other float strings
/// (not `0x` hex patterns, which Python's `float` refuses).
pub(crate) fn py_float(v: &Value) -> Option<f64> {
    match v {
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        Value::Number(n) => n.as_f64(),
        Value::String(s) => non_finite(s).or_else(|| py_float_str(s)),
        _ => None,
    }
}

/// Python's `v == x` for a JSON value and a small integer (`0 == 0.0`,
/// `True == 1`; strings are never equal to a number).
pub(crate) fn py_eq_int(v: &Value, x: i64) -> bool {
    match v {
        Value::Bool(b) => i64::from(*b) == x,
        Value::Number(n) => n.as_f64() == Some(x as f64),
        _ => false,
    }
}

/// Python's `a == b` for two JSON values used as dict keys (numbers and
/// booleans compare numerically, NaN never equal, strings by content).
pub(crate) fn py_key_eq(a: &Value, b: &Value) -> bool {
    fn num(v: &Value) -> Option<f64> {
        match v {
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            Value::Number(n) => n.as_f64(),
            Value::String(s) => non_finite(s),
            _ => None,
        }
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.as_f64().is_some() => {
            match (x.as_i64(), y.as_i64()) {
                (Some(i), Some(j)) => i == j,
                _ => match (x.as_u64(), y.as_u64()) {
                    (Some(i), Some(j)) => i == j,
                    _ => x.as_f64() == y.as_f64(),
                },
            }
        }
        _ => match (num(a), num(b)) {
            (Some(x), Some(y)) => x == y,
            (None, None) => match (a, b) {
                (Value::String(x), Value::String(y)) => x == y,
                _ => false,
            },
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rounding_matches_hardware_nearest_even() {
        // f64 -> f32 to nearest must equal Rust's `as` (IEEE) for all of these.
        let xs = [
            1.0,
            0.1,
            -0.1,
            1e-40,
            1e-45,
            7e-46,
            3.4028235677973366e38,
            3.4028235677973362e38,
            1e300,
            -1e300,
            f64::MIN_POSITIVE,
            5e-324,
            1.0000000596046448,
            1.0000001788139343,
        ];
        let fmt = Kind::F32.format().unwrap_or(FloatFormat {
            mant_bits: 23,
            bias: 127,
        });
        for x in xs {
            let (n, m, e) = decompose(x);
            let got = match round_to_format(n, m, e, fmt, Rounding::NearestEven) {
                Rounded::Bits(b) => f32::from_bits(b as u32),
                Rounded::Overflow => {
                    if n {
                        f32::NEG_INFINITY
                    } else {
                        f32::INFINITY
                    }
                }
            };
            assert_eq!(got.to_bits(), (x as f32).to_bits(), "{x}");
        }
    }

    #[test]
    fn python_strings() {
        assert_eq!(py_int_str(" -1_000 "), Some(-1000));
        assert_eq!(py_int_str("+5"), Some(5));
        assert_eq!(py_int_str("1__0"), None);
        assert_eq!(py_int_str("_1"), None);
        assert_eq!(py_int_str("1_"), None);
        assert_eq!(py_int_str("1.0"), None);
        assert_eq!(py_float_str("1_0.5"), Some(10.5));
        assert_eq!(py_float_str("-Infinity"), Some(f64::NEG_INFINITY));
        assert!(py_float_str("nan").is_some_and(f64::is_nan));
        assert_eq!(py_float_str(".5"), Some(0.5));
        assert_eq!(py_float_str("1e3"), Some(1000.0));
        assert_eq!(py_float_str("0x10"), None);
        assert_eq!(py_float_str("e"), None);
    }

    #[test]
    fn from_json_scalar() {
        // zarr-python 3.4.2: get_data_type_from_json(dt, zarr_format=3).from_json_scalar(v, zarr_format=3)
        assert_eq!(json_scalar(Kind::I8, &json!(2.0)), Ok(Val::Int(2)));
        assert_eq!(json_scalar(Kind::I8, &json!("2")), Ok(Val::Int(2)));
        assert_eq!(json_scalar(Kind::I8, &json!(true)), Ok(Val::Int(1)));
        assert!(json_scalar(Kind::I8, &json!(2.5)).is_err());
        assert!(json_scalar(Kind::I8, &json!(300)).is_err());
        assert!(json_scalar(Kind::U8, &json!(-1)).is_err());
        assert!(json_scalar(Kind::I64, &json!(u64::MAX)).is_err());
        assert_eq!(
            json_scalar(Kind::U64, &json!(u64::MAX)),
            Ok(Val::Int(u64::MAX.into()))
        );
        assert!(json_scalar(Kind::I8, &json!("NaN")).is_err());
        assert_eq!(
            json_scalar(Kind::F16, &json!("0x3f800000")),
            Ok(Val::F16(f16::ONE))
        );
        assert_eq!(
            json_scalar(Kind::F32, &json!(1e300)),
            Ok(Val::F32(f32::INFINITY))
        );
        assert!(json_scalar(Kind::F64, &json!("nan")).is_ok_and(Val::is_nan));
        assert!(json_scalar(Kind::F64, &json!("0x3ff0")).is_ok());
        assert!(json_scalar(Kind::F64, &json!("0x3ff")).is_err());
        assert!(json_scalar(Kind::F64, &json!(null)).is_err());
        assert!(json_scalar(Kind::F64, &json!([1])).is_err());
    }

    #[test]
    fn python_equality() {
        assert!(py_eq_int(&json!(0), 0));
        assert!(py_eq_int(&json!(-0.0), 0));
        assert!(py_eq_int(&json!(1.0), 1));
        assert!(py_eq_int(&json!(true), 1));
        assert!(!py_eq_int(&json!("0"), 0));
        assert!(py_key_eq(&json!(1), &json!(1.0)));
        assert!(py_key_eq(&json!("NaN"), &json!("NaN")));
        assert!(!py_key_eq(&json!("1"), &json!(1)));
        let nan = crate::metadata::json::float(f64::NAN);
        assert!(!py_key_eq(&nan, &nan));
    }
}
