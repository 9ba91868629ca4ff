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

pub(crate) use element::as_bytes_mut;
pub use element::{as_bytes, Element, FixedElement};
pub use fill_value::FillValue;

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
}

/// An error parsing a data type name or a fill value.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum DataTypeError {
    /// The data type name is not one we know.
    #[error("unknown data type {0}")]
    Unknown(String),
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
    /// Every data type, in a stable order.
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
            DataType::Float32 => "float32",
            DataType::Float64 => "float64",
            DataType::Complex64 => "complex64",
            DataType::Complex128 => "complex128",
            DataType::String => "string",
            DataType::Bytes => "variable_length_bytes",
        }
    }

    /// Parse a V3 data type name (`bytes` is accepted as an alias of
    /// `variable_length_bytes`, as zarr-python does).
    pub fn from_name(name: &str) -> Result<Self, DataTypeError> {
        if name == "bytes" {
            return Ok(DataType::Bytes);
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
            DataType::Int16 | DataType::UInt16 | DataType::Float16 => 2,
            DataType::Int32 | DataType::UInt32 | DataType::Float32 => 4,
            DataType::Int64 | DataType::UInt64 | DataType::Float64 | DataType::Complex64 => 8,
            DataType::Complex128 => 16,
            DataType::String | DataType::Bytes => return None,
        })
    }

    /// True for `string` and `variable_length_bytes`.
    pub fn is_variable_length(&self) -> bool {
        self.size().is_none()
    }

    /// The size of the scalar components that byte order applies to (the
    /// real or imaginary part for complex types), or `None` for
    /// variable-length types.
    pub fn component_size(&self) -> Option<usize> {
        match self {
            DataType::Complex64 => Some(4),
            DataType::Complex128 => Some(8),
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
            DataType::String | DataType::Bytes => return None,
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
    /// ```
    pub fn from_numpy_str(
        s: &str,
    ) -> Result<(DataType, Option<crate::codec::Endian>), DataTypeError> {
        use crate::codec::Endian;
        let unknown = || DataTypeError::Unknown(format!("numpy type string {s:?}"));
        let mut chars = s.chars();
        let order = chars.next().ok_or_else(unknown)?;
        let rest = chars.as_str();
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
        let s = self.numpy_str()?;
        if self.size() == Some(1) {
            return Some(s.to_string());
        }
        let c = match endian {
            crate::codec::Endian::Little => '<',
            crate::codec::Endian::Big => '>',
        };
        Some(format!("{c}{}", &s[1..]))
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
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
    fn sizes() {
        assert_eq!(DataType::Complex128.size(), Some(16));
        assert_eq!(DataType::Complex128.component_size(), Some(8));
        assert_eq!(DataType::String.size(), None);
    }
}
