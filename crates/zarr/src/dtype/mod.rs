//! Zarr V3 data types, their element sizes, and fill values in every JSON form
//! the V3 specification and zarr-python use.
//!
//! ```
//! use zarr::dtype::DataType;
//! let dt = DataType::from_name("float32").unwrap();
//! assert_eq!(dt.size(), Some(4));
//! let fv = dt.fill_value_from_json(&serde_json::json!("NaN")).unwrap();
//! assert_eq!(dt.fill_value_to_json(&fv), serde_json::json!("NaN"));
//! ```

mod element;
mod fill_value;
mod struct_fill;
mod structured;
mod time;

pub(crate) use element::as_bytes_mut;
pub use element::{as_bytes, Element, FixedElement};
pub use fill_value::FillValue;
pub use structured::{
    StructField, StructType, MAX_DEPTH, MAX_ELEMENT_SIZE, MAX_FIELDS, MAX_INTERNED_BYTES,
};
pub use time::{TimeKind, TimeType, TimeUnit, NAT};

use std::fmt;

/// A Zarr V3 data type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DataType {
    /// `bool`: one byte, 0 or 1.
    Bool,
    /// `int8`.
    Int8,
    /// `int16`.
    Int16,
    /// `int32`.
    Int32,
    /// `int64`.
    Int64,
    /// `uint8`.
    UInt8,
    /// `uint16`.
    UInt16,
    /// `uint32`.
    UInt32,
    /// `uint64`.
    UInt64,
    /// `float16` (IEEE 754 half precision).
    Float16,
    /// `bfloat16` (the upper half of a float32: 8 exponent bits, 7 mantissa
    /// bits), as TensorStore and zarrs write it; read and written as
    /// [`half::bf16`]. numpy has no such type, so it has no V2 or `.npy` form.
    BFloat16,
    /// `float32`.
    Float32,
    /// `float64`.
    Float64,
    /// `complex64`: two `float32`.
    Complex64,
    /// `complex128`: two `float64`.
    Complex128,
    /// `string`: variable-length UTF-8.
    String,
    /// `variable_length_bytes` (alias `bytes`): variable-length bytes.
    Bytes,
    /// `null_terminated_bytes` of `length_bytes` bytes (numpy `|S{n}`):
    /// fixed-length bytes padded with zeros.
    FixedBytes(u32),
    /// `fixed_length_utf32` of this many characters (numpy `<U{n}`; its
    /// `length_bytes` is four times that): UTF-32 code units padded with zeros.
    FixedUtf32(u32),
    /// `numpy.datetime64` or `numpy.timedelta64` with a unit and scale
    /// factor (V2 `<M8[ns]`, `<m8[s]`...): 64-bit signed counts, read and
    /// written as `i64`, `NaT` being `i64::MIN`.
    Time(TimeType),
    /// `raw_bytes` of `length_bytes` bytes (numpy void `|V{n}`): opaque
    /// fixed-length bytes, kept exactly (no padding semantics).
    RawBytes(u32),
    /// `struct` (numpy structured dtype): packed named fixed-size fields,
    /// each native-endian in memory; see [`StructType`].
    Struct(StructType),
}

/// An error parsing a data type name or a fill value.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum DataTypeError {
    /// The data type name is not one we know.
    #[error("unknown data type {0}")]
    Unknown(String),
    /// A data type of a known kind whose parameters are refused (zero or
    /// excessive length, a bad struct field, too many layouts...).
    #[error("invalid {data_type} data type: {reason}")]
    Invalid {
        /// The kind of data type.
        data_type: String,
        /// Why it was refused.
        reason: String,
    },
    /// A fill value does not fit the data type.
    #[error("invalid fill value {value} for data type {data_type}: {reason}")]
    InvalidFillValue {
        /// The data type.
        data_type: DataType,
        /// The JSON value as written.
        value: String,
        /// Why it was refused.
        reason: String,
    },
}

impl DataType {
    /// Every data type without parameters that numpy (and so zarr-python)
    /// has, in a stable order. [`DataType::BFloat16`] and the types with
    /// parameters (lengths, units, fields) are apart.
    pub const ALL: [DataType; 16] = [
        DataType::Bool,
        DataType::Int8,
        DataType::Int16,
        DataType::Int32,
        DataType::Int64,
        DataType::UInt8,
        DataType::UInt16,
        DataType::UInt32,
        DataType::UInt64,
        DataType::Float16,
        DataType::Float32,
        DataType::Float64,
        DataType::Complex64,
        DataType::Complex128,
        DataType::String,
        DataType::Bytes,
    ];

    /// The name written in `zarr.json`.
    pub fn name(&self) -> &'static str {
        match self {
            DataType::Bool => "bool",
            DataType::Int8 => "int8",
            DataType::Int16 => "int16",
            DataType::Int32 => "int32",
            DataType::Int64 => "int64",
            DataType::UInt8 => "uint8",
            DataType::UInt16 => "uint16",
            DataType::UInt32 => "uint32",
            DataType::UInt64 => "uint64",
            DataType::Float16 => "float16",
            DataType::BFloat16 => "bfloat16",
            DataType::Float32 => "float32",
            DataType::Float64 => "float64",
            DataType::Complex64 => "complex64",
            DataType::Complex128 => "complex128",
            DataType::String => "string",
            DataType::Bytes => "variable_length_bytes",
            DataType::FixedBytes(_) => "null_terminated_bytes",
            DataType::FixedUtf32(_) => "fixed_length_utf32",
            DataType::Time(t) => t.name(),
            DataType::RawBytes(_) => "raw_bytes",
            DataType::Struct(_) => "struct",
        }
    }

    /// The `data_type` of `zarr.json`: the name, or for the fixed-length
    /// types `{"name": ..., "configuration": {"length_bytes": n}}`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            DataType::Time(t) => return t.to_json(),
            DataType::Struct(s) => return s.to_v3_json(),
            _ => {}
        }
        match self.size() {
            Some(n)
                if matches!(
                    self,
                    DataType::FixedBytes(_) | DataType::FixedUtf32(_) | DataType::RawBytes(_)
                ) =>
            {
                serde_json::json!({"name": self.name(), "configuration": {"length_bytes": n}})
            }
            _ => serde_json::Value::String(self.name().to_string()),
        }
    }

    /// Parse the `data_type` of `zarr.json`: a name, or a named
    /// configuration for the fixed-length types and structs.
    pub fn from_json(v: &serde_json::Value) -> Result<Self, DataTypeError> {
        Self::from_json_at(v, 0)
    }

    /// [`DataType::from_json`] for a type nested `depth` structs deep.
    pub(crate) fn from_json_at(v: &serde_json::Value, depth: usize) -> Result<Self, DataTypeError> {
        use serde_json::Value;
        match v {
            Value::String(s) => Self::from_name(s),
            Value::Object(o) => {
                let name = o.get("name").and_then(Value::as_str).unwrap_or("?");
                if let Some(t) = TimeType::from_json(name, o.get("configuration")) {
                    return Ok(DataType::Time(t));
                }
                if name == "struct" || name == "structured" {
                    return StructType::from_v3_json(o, depth).map(DataType::Struct);
                }
                let len = o
                    .get("configuration")
                    .and_then(|c| c.get("length_bytes"))
                    .and_then(Value::as_u64);
                let len = match (name, len) {
                    ("null_terminated_bytes" | "fixed_length_utf32" | "raw_bytes", Some(n)) => {
                        u32::try_from(n)
                            .ok()
                            .filter(|&n| n > 0 && n as usize <= MAX_ELEMENT_SIZE)
                            .ok_or_else(|| DataTypeError::Invalid {
                                data_type: name.to_string(),
                                reason: format!(
                                    "length_bytes {n} is not between 1 and {MAX_ELEMENT_SIZE}"
                                ),
                            })?
                    }
                    _ => return Err(DataTypeError::Unknown(v.to_string())),
                };
                match name {
                    "null_terminated_bytes" => Ok(DataType::FixedBytes(len)),
                    "fixed_length_utf32" if len % 4 == 0 => Ok(DataType::FixedUtf32(len / 4)),
                    // zarr-python takes exactly {"length_bytes": n} here.
                    "raw_bytes"
                        if o.len() == 2
                            && o.get("configuration")
                                .and_then(Value::as_object)
                                .is_some_and(|c| c.len() == 1) =>
                    {
                        Ok(DataType::RawBytes(len))
                    }
                    _ => Err(DataTypeError::Unknown(v.to_string())),
                }
            }
            other => Err(DataTypeError::Unknown(other.to_string())),
        }
    }

    /// Parse a V3 data type name (`bytes` is accepted as an alias of
    /// `variable_length_bytes`, as zarr-python does).
    pub fn from_name(name: &str) -> Result<Self, DataTypeError> {
        match name {
            "bytes" => return Ok(DataType::Bytes),
            "bfloat16" => return Ok(DataType::BFloat16),
            _ => {}
        }
        DataType::ALL
            .iter()
            .copied()
            .find(|d| d.name() == name)
            .ok_or_else(|| DataTypeError::Unknown(name.to_string()))
    }

    /// Size of one element in bytes, or `None` for variable-length types.
    pub fn size(&self) -> Option<usize> {
        Some(match self {
            DataType::Bool | DataType::Int8 | DataType::UInt8 => 1,
            DataType::Int16 | DataType::UInt16 | DataType::Float16 | DataType::BFloat16 => 2,
            DataType::Int32 | DataType::UInt32 | DataType::Float32 => 4,
            DataType::Int64
            | DataType::UInt64
            | DataType::Float64
            | DataType::Complex64
            | DataType::Time(_) => 8,
            DataType::Complex128 => 16,
            DataType::FixedBytes(n) => *n as usize,
            DataType::FixedUtf32(n) => *n as usize * 4,
            DataType::RawBytes(n) => *n as usize,
            DataType::Struct(s) => s.size(),
            DataType::String | DataType::Bytes => return None,
        })
    }

    /// True for `string` and `variable_length_bytes`.
    pub fn is_variable_length(&self) -> bool {
        self.size().is_none()
    }

    /// The size of the scalar components that byte order applies to (the
    /// real or imaginary part for complex types), or `None` for
    /// variable-length types. A struct has no single component size: it is
    /// 1 here, and its fields are byte-swapped one by one (the `bytes`
    /// codec and `.npy` handle structs apart).
    pub fn component_size(&self) -> Option<usize> {
        match self {
            DataType::Complex64 => Some(4),
            DataType::Complex128 => Some(8),
            DataType::FixedBytes(_) | DataType::RawBytes(_) | DataType::Struct(_) => Some(1),
            DataType::FixedUtf32(_) => Some(4),
            d => d.size(),
        }
    }

    /// The numpy type string (little-endian) used by `.npy` files.
    pub fn numpy_str(&self) -> Option<&'static str> {
        Some(match self {
            DataType::Bool => "|b1",
            DataType::Int8 => "|i1",
            DataType::Int16 => "<i2",
            DataType::Int32 => "<i4",
            DataType::Int64 => "<i8",
            DataType::UInt8 => "|u1",
            DataType::UInt16 => "<u2",
            DataType::UInt32 => "<u4",
            DataType::UInt64 => "<u8",
            DataType::Float16 => "<f2",
            DataType::Float32 => "<f4",
            DataType::Float64 => "<f8",
            DataType::Complex64 => "<c8",
            DataType::Complex128 => "<c16",
            DataType::String
            | DataType::Bytes
            | DataType::BFloat16
            | DataType::FixedBytes(_)
            | DataType::FixedUtf32(_)
            | DataType::Time(_)
            | DataType::RawBytes(_)
            | DataType::Struct(_) => return None,
        })
    }
}

impl DataType {
    /// Parse a numpy type string with its byte order (`"<i4"`, `">f8"`,
    /// `"|b1"`, `"<c16"`...), as Zarr V2 metadata and numcodecs write them.
    /// The byte order is `None` for one-byte types (`|`, `<` or `>` are all
    /// accepted there); multi-byte types need `<` or `>`.
    ///
    /// ```
    /// use zarr::codec::Endian;
    /// use zarr::dtype::DataType;
    /// assert_eq!(DataType::from_numpy_str(">f8").unwrap(), (DataType::Float64, Some(Endian::Big)));
    /// assert_eq!(DataType::from_numpy_str("|u1").unwrap(), (DataType::UInt8, None));
    /// assert!(DataType::from_numpy_str("<i3").is_err());
    /// assert_eq!(DataType::from_numpy_str("|S5").unwrap(), (DataType::FixedBytes(5), None));
    /// assert_eq!(DataType::from_numpy_str(">U3").unwrap(), (DataType::FixedUtf32(3), Some(Endian::Big)));
    /// ```
    pub fn from_numpy_str(
        s: &str,
    ) -> Result<(DataType, Option<crate::codec::Endian>), DataTypeError> {
        use crate::codec::Endian;
        let unknown = || DataTypeError::Unknown(format!("numpy type string {s:?}"));
        let mut chars = s.chars();
        let order = chars.next().ok_or_else(unknown)?;
        let rest = chars.as_str();
        let len = |p: &str| -> Result<u32, DataTypeError> {
            let digits = rest.strip_prefix(p).unwrap_or("");
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(unknown());
            }
            digits
                .parse::<u32>()
                .ok()
                .filter(|&n| n > 0 && (n as usize) < MAX_ELEMENT_SIZE)
                .ok_or_else(|| DataTypeError::Invalid {
                    data_type: format!("numpy type string {s:?}"),
                    reason: format!("the length must be between 1 and {}", MAX_ELEMENT_SIZE - 1),
                })
        };
        if rest.starts_with('S') {
            return match order {
                '|' | '<' | '>' => Ok((DataType::FixedBytes(len("S")?), None)),
                _ => Err(unknown()),
            };
        }
        if rest.starts_with('V') {
            return match order {
                '|' | '<' | '>' => Ok((DataType::RawBytes(len("V")?), None)),
                _ => Err(unknown()),
            };
        }
        if let Some(t) = TimeType::from_numpy_code(rest) {
            return match order {
                '<' => Ok((DataType::Time(t), Some(Endian::Little))),
                '>' => Ok((DataType::Time(t), Some(Endian::Big))),
                _ => Err(unknown()),
            };
        }
        if rest.starts_with('U') {
            return match order {
                '<' => Ok((DataType::FixedUtf32(len("U")?), Some(Endian::Little))),
                '>' => Ok((DataType::FixedUtf32(len("U")?), Some(Endian::Big))),
                _ => Err(unknown()),
            };
        }
        let dt = match rest {
            "b1" => DataType::Bool,
            "i1" => DataType::Int8,
            "i2" => DataType::Int16,
            "i4" => DataType::Int32,
            "i8" => DataType::Int64,
            "u1" => DataType::UInt8,
            "u2" => DataType::UInt16,
            "u4" => DataType::UInt32,
            "u8" => DataType::UInt64,
            "f2" => DataType::Float16,
            "f4" => DataType::Float32,
            "f8" => DataType::Float64,
            "c8" => DataType::Complex64,
            "c16" => DataType::Complex128,
            _ => return Err(unknown()),
        };
        let one_byte = dt.size() == Some(1);
        let endian = match order {
            '<' => Some(Endian::Little),
            '>' => Some(Endian::Big),
            '|' if one_byte => None,
            _ => return Err(unknown()),
        };
        Ok((dt, if one_byte { None } else { endian }))
    }

    /// The numpy type string of this type in byte order `endian` (`"|"` for
    /// one-byte types); `None` for variable-length types.
    pub fn to_numpy_str(&self, endian: crate::codec::Endian) -> Option<String> {
        let c = match endian {
            crate::codec::Endian::Little => '<',
            crate::codec::Endian::Big => '>',
        };
        match self {
            DataType::FixedBytes(n) => return Some(format!("|S{n}")),
            DataType::RawBytes(n) => return Some(format!("|V{n}")),
            DataType::Struct(_) => return None,
            DataType::FixedUtf32(n) => return Some(format!("{c}U{n}")),
            DataType::Time(t) => return Some(format!("{c}{}", t.numpy_code())),
            _ => {}
        }
        let s = self.numpy_str()?;
        if self.size() == Some(1) {
            return Some(s.to_string());
        }
        Some(format!("{c}{}", &s[1..]))
    }
}

impl DataType {
    /// The V2 `dtype` of this type with byte order `endian` for fields that
    /// declare none: a numpy type string, or for a struct a list of
    /// `[name, type]` pairs. `None` for variable-length types (`|O`).
    ///
    /// ```
    /// use zarr::codec::Endian;
    /// use zarr::dtype::DataType;
    /// let (dt, _) = DataType::from_v2_dtype(&serde_json::json!([["a", ">i4"], ["b", "|V2"]])).unwrap();
    /// assert_eq!(dt.to_v2_dtype(Endian::Little).unwrap(), serde_json::json!([["a", ">i4"], ["b", "|V2"]]));
    /// ```
    pub fn to_v2_dtype(&self, endian: crate::codec::Endian) -> Option<serde_json::Value> {
        match self {
            DataType::Struct(s) => Some(s.to_v2_json(endian)),
            d => d.to_numpy_str(endian).map(serde_json::Value::String),
        }
    }

    /// Parse a V2 `dtype` other than `|O`: a numpy type string (see
    /// [`DataType::from_numpy_str`]) or a structured dtype list; the byte
    /// order is `None` for structs (their fields declare their own).
    pub fn from_v2_dtype(
        v: &serde_json::Value,
    ) -> Result<(DataType, Option<crate::codec::Endian>), DataTypeError> {
        match v {
            serde_json::Value::String(s) => Self::from_numpy_str(s),
            serde_json::Value::Array(a) => {
                StructType::from_v2_json(a, 0).map(|s| (DataType::Struct(s), None))
            }
            other => Err(DataTypeError::Unknown(format!("V2 dtype {other}"))),
        }
    }

    /// True when elements of both types are the same in memory: equal
    /// types, or structs that differ only in their fields' V2 byte orders
    /// (elements are native-endian in memory either way).
    pub fn same_elements(&self, other: &DataType) -> bool {
        match (self, other) {
            (DataType::Struct(a), DataType::Struct(b)) => a.same_elements(b),
            (a, b) => a == b,
        }
    }

    /// This type as V3 metadata holds it: a struct loses its fields' V2 byte
    /// orders (V3 has none); other types are unchanged.
    pub fn for_v3(&self) -> Result<DataType, DataTypeError> {
        match self {
            DataType::Struct(s) if s.has_declared_byte_orders() => {
                Ok(DataType::Struct(s.with_byte_orders(None, true)?))
            }
            d => Ok(*d),
        }
    }

    /// This type as V2 metadata holds it: a struct's multi-byte fields that
    /// declare no byte order get `endian`; other types are unchanged.
    pub fn for_v2(&self, endian: crate::codec::Endian) -> Result<DataType, DataTypeError> {
        match self {
            DataType::Struct(s) => Ok(DataType::Struct(s.with_byte_orders(Some(endian), false)?)),
            d => Ok(*d),
        }
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataType::FixedBytes(_) | DataType::FixedUtf32(_) | DataType::RawBytes(_) => {
                write!(f, "{}[{}]", self.name(), self.size().unwrap_or(0))
            }
            DataType::Time(t) => t.fmt(f),
            DataType::Struct(s) => s.fmt(f),
            _ => f.write_str(self.name()),
        }
    }
}

impl std::str::FromStr for DataType {
    type Err = DataTypeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DataType::from_name(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for d in DataType::ALL {
            assert_eq!(DataType::from_name(d.name()).unwrap(), d);
        }
        assert_eq!(DataType::from_name("bytes").unwrap(), DataType::Bytes);
        assert!(DataType::from_name("int128").is_err());
    }

    #[test]
    fn raw_bytes_json_forms() {
        use serde_json::json;
        let v3 = json!({"name": "raw_bytes", "configuration": {"length_bytes": 6}});
        let dt = DataType::from_json(&v3).unwrap();
        assert_eq!(dt, DataType::RawBytes(6));
        assert_eq!(dt.to_json(), v3);
        assert_eq!(dt.size(), Some(6));
        assert_eq!(dt.to_string(), "raw_bytes[6]");
        assert_eq!(DataType::from_numpy_str("|V6").unwrap(), (dt, None));
        assert_eq!(
            dt.to_v2_dtype(crate::codec::Endian::Big).unwrap(),
            json!("|V6")
        );
        for bad in [
            json!({"name": "raw_bytes", "configuration": {"length_bytes": 0}}),
            json!({"name": "raw_bytes", "configuration": {"length_bytes": 1u64 << 40}}),
            json!({"name": "raw_bytes", "configuration": {"length_bytes": -1}}),
            json!({"name": "raw_bytes", "configuration": {"length_bytes": 6, "x": 1}}),
            json!({"name": "raw_bytes", "configuration": {}}),
            json!({"name": "raw_bytes"}),
            json!("raw_bytes"),
            // zarr-python 3.4.2 has no r8 / r16 raw-bits names.
            json!("r48"),
        ] {
            assert!(DataType::from_json(&bad).is_err(), "{bad}");
        }
        let e = DataType::from_numpy_str("|V999999999999").unwrap_err();
        assert!(matches!(e, DataTypeError::Invalid { .. }), "{e}");
        assert!(e.to_string().contains("length"), "{e}");
        for bad in ["|V0", "|V", "|V6x", "|V-1"] {
            assert!(DataType::from_numpy_str(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn raw_bytes_fill_values() {
        use serde_json::json;
        let dt = DataType::RawBytes(6);
        // zarr-python 3.4.2: default fill "AAAAAAAA" (six zero bytes, kept).
        assert_eq!(
            dt.fill_value_to_json(&FillValue::default_for(dt)),
            json!("AAAAAAAA")
        );
        let fv = dt.fill_value_from_json(&json!("YWIAY2QA")).unwrap();
        assert_eq!(fv.as_bytes(), b"ab\0cd\0");
        assert_eq!(dt.fill_value_to_json(&fv), json!("YWIAY2QA"));
        assert_eq!(dt.fill_value_to_json_v2(&fv), json!("YWIAY2QA"));
        // Shorter values are padded, longer ones cut, as zarr-python does.
        assert_eq!(
            dt.fill_value_from_json(&json!("YWI=")).unwrap().as_bytes(),
            b"ab\0\0\0\0"
        );
        assert_eq!(
            dt.fill_value_from_json(&json!("YWJjZGVmZ2g="))
                .unwrap()
                .as_bytes(),
            b"abcdef"
        );
        for bad in [json!(5), json!("@@"), json!([1, 2]), json!(null)] {
            assert!(dt.fill_value_from_json(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn struct_json_forms() {
        use serde_json::json;
        let v3 = json!({"name": "struct", "configuration": {"fields": [
            {"name": "a", "data_type": "int32"},
            {"name": "n", "data_type": {"name": "struct", "configuration": {"fields": [
                {"name": "x", "data_type": "float32"},
                {"name": "v", "data_type": {"name": "raw_bytes", "configuration": {"length_bytes": 2}}}
            ]}}}
        ]}});
        let dt = DataType::from_json(&v3).unwrap();
        assert_eq!(dt.to_json(), v3);
        assert_eq!(dt.size(), Some(10));
        assert_eq!(dt.name(), "struct");
        assert_eq!(
            dt.to_string(),
            r#"struct{"a": int32, "n": struct{"x": float32, "v": raw_bytes[2]}}"#
        );
        // The legacy "structured" name and [name, type] pairs read the same.
        let legacy = json!({"name": "structured", "configuration": {"fields": [
            ["a", "int32"],
            ["n", {"name": "struct", "configuration": {"fields": [
                ["x", "float32"],
                {"name": "v", "data_type": {"name": "raw_bytes", "configuration": {"length_bytes": 2}}}
            ]}}]
        ]}});
        assert_eq!(DataType::from_json(&legacy).unwrap(), dt);
        // V2: [name, numpy type] pairs with byte orders.
        let v2 = json!([["a", ">i4"], ["n", [["x", "<f4"], ["v", "|V2"]]]]);
        let (d2, e) = DataType::from_v2_dtype(&v2).unwrap();
        assert_eq!(e, None);
        assert_ne!(d2, dt);
        assert!(d2.same_elements(&dt));
        assert_eq!(d2.for_v3().unwrap(), dt);
        assert_eq!(d2.to_v2_dtype(crate::codec::Endian::Little).unwrap(), v2);
        assert_eq!(
            dt.to_v2_dtype(crate::codec::Endian::Big).unwrap(),
            json!([["a", ">i4"], ["n", [["x", ">f4"], ["v", "|V2"]]]])
        );
        assert_eq!(
            dt.for_v2(crate::codec::Endian::Big)
                .unwrap()
                .to_v2_dtype(crate::codec::Endian::Little)
                .unwrap(),
            json!([["a", ">i4"], ["n", [["x", ">f4"], ["v", "|V2"]]]])
        );
    }

    #[test]
    fn struct_bad_input() {
        use serde_json::json;
        let s = |fields: serde_json::Value| json!({"name": "struct", "configuration": {"fields": fields}});
        let cases = [
            (s(json!([])), "at least one field"),
            (s(json!([{"name": "a", "data_type": "int33"}])), "int33"),
            (
                s(json!([{"name": "a", "data_type": "int8"}, {"name": "a", "data_type": "int8"}])),
                "more than once",
            ),
            (
                s(json!([{"name": "a", "data_type": "string"}])),
                "fixed-size",
            ),
            (s(json!([{"data_type": "int8"}])), "no string name"),
            (s(json!([{"name": "a"}])), "no data_type"),
            (s(json!([["a"]])), "field 0"),
            (s(json!("a")), "must be a list"),
            (
                json!({"name": "struct", "configuration": {"fields": [["a", "int8"]], "x": 1}}),
                "exactly the key",
            ),
            (json!({"name": "struct"}), "exactly the keys"),
            (
                s(
                    json!([{"name": "a", "data_type": {"name": "raw_bytes", "configuration": {"length_bytes": 200_000_000}}},
                      {"name": "b", "data_type": {"name": "raw_bytes", "configuration": {"length_bytes": 200_000_000}}}]),
                ),
                "larger than",
            ),
        ];
        for (bad, want) in cases {
            let e = DataType::from_json(&bad).unwrap_err().to_string();
            assert!(e.contains(want), "{bad}: {e}");
        }
        // Too deep.
        let mut deep = json!("int8");
        for _ in 0..40 {
            deep = s(json!([{"name": "a", "data_type": deep}]));
        }
        let e = DataType::from_json(&deep).unwrap_err().to_string();
        assert!(e.contains("nested deeper"), "{e}");
        // Too many fields.
        let many: Vec<_> = (0..MAX_FIELDS + 1)
            .map(|i| json!([i.to_string(), "int8"]))
            .collect();
        let e = DataType::from_json(&s(json!(many)))
            .unwrap_err()
            .to_string();
        assert!(e.contains("fields (limit"), "{e}");
        for bad in [
            json!([]),
            json!([["a", "<i4"], ["a", "<f8"]]),
            json!([["a", "<i4", [2]]]),
            json!([["a", "|O"]]),
            json!([["a", "<i3"]]),
            json!([[1, "<i4"]]),
            json!([["a", 4]]),
            json!({"a": "<i4"}),
        ] {
            assert!(DataType::from_v2_dtype(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(DataType::Complex128.size(), Some(16));
        assert_eq!(DataType::Complex128.component_size(), Some(8));
        assert_eq!(DataType::String.size(), None);
    }
}
