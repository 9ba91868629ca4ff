//! Rust element types that arrays can be read into and written from.

use super::DataType;
use half::f16;
use num_complex::Complex;

/// A Rust type that holds one element of a Zarr array.
///
/// Fixed-size elements are plain data whose in-memory bytes are the
/// native-endian element bytes; `String` and `Vec<u8>` hold the
/// variable-length types.
///
/// ```
/// use zarr::dtype::{DataType, Element};
/// assert!(u16::matches(DataType::UInt16));
/// assert!(!u16::matches(DataType::Int16));
/// assert!(String::matches(DataType::String));
/// ```
pub trait Element: Clone + Send + Sync + 'static {
    /// The data types this Rust type can hold without conversion.
    fn matches(data_type: DataType) -> bool;

    /// The natural data type for this Rust type.
    fn data_type() -> DataType;

    /// Variable-length elements: build from decoded element bytes (already
    /// validated as UTF-8 for `string`). `None` for fixed-size types.
    fn from_var_bytes(_bytes: Vec<u8>) -> Option<Self> {
        None
    }

    /// Variable-length elements: the element's bytes. `None` for fixed-size types.
    fn as_var_bytes(&self) -> Option<&[u8]> {
        None
    }
}

/// A fixed-size element whose memory is exactly its native-endian bytes.
///
/// # Safety
/// Implementors must have no padding, and every byte pattern that the
/// matching data types' decoders produce must be a valid value (decoders of
/// `bool` check that every byte is 0 or 1).
pub unsafe trait FixedElement: Element + Copy + Default {}

macro_rules! fixed {
    ($t:ty, $($dt:ident),+) => {
        impl Element for $t {
            fn matches(data_type: DataType) -> bool {
                matches!(data_type, $(DataType::$dt)|+)
            }
            fn data_type() -> DataType {
                [$(DataType::$dt),+][0]
            }
        }
        // SAFETY: plain numeric types without padding; bool validity is
        // checked by the decoders.
        unsafe impl FixedElement for $t {}
    };
}

fixed!(bool, Bool);
fixed!(i8, Int8);
fixed!(i16, Int16);
fixed!(i32, Int32);
impl Element for i64 {
    fn matches(data_type: DataType) -> bool {
        matches!(data_type, DataType::Int64 | DataType::Time(_))
    }
    fn data_type() -> DataType {
        DataType::Int64
    }
}
// SAFETY: a plain integer type without padding; every bit pattern is valid.
unsafe impl FixedElement for i64 {}
fixed!(u8, UInt8);
fixed!(u16, UInt16);
fixed!(u32, UInt32);
fixed!(u64, UInt64);
fixed!(f16, Float16);
fixed!(half::bf16, BFloat16);
fixed!(f32, Float32);
fixed!(f64, Float64);
fixed!(Complex<f32>, Complex64);
fixed!(Complex<f64>, Complex128);

impl Element for String {
    fn matches(data_type: DataType) -> bool {
        data_type == DataType::String
    }
    fn data_type() -> DataType {
        DataType::String
    }
    fn from_var_bytes(bytes: Vec<u8>) -> Option<Self> {
        String::from_utf8(bytes).ok()
    }
    fn as_var_bytes(&self) -> Option<&[u8]> {
        Some(self.as_bytes())
    }
}

impl Element for Vec<u8> {
    fn matches(data_type: DataType) -> bool {
        data_type == DataType::Bytes
    }
    fn data_type() -> DataType {
        DataType::Bytes
    }
    fn from_var_bytes(bytes: Vec<u8>) -> Option<Self> {
        Some(bytes)
    }
    fn as_var_bytes(&self) -> Option<&[u8]> {
        Some(self)
    }
}

/// View a slice of fixed-size elements as its bytes.
pub fn as_bytes<T: FixedElement>(data: &[T]) -> &[u8] {
    // SAFETY: FixedElement types have no padding, so every byte is initialised.
    unsafe { std::slice::from_raw_parts(data.as_ptr().cast::<u8>(), std::mem::size_of_val(data)) }
}

/// View a mutable slice of fixed-size elements as its bytes. Callers that
/// write into it must only write valid element bytes (see [`FixedElement`]).
pub(crate) fn as_bytes_mut<T: FixedElement>(data: &mut [T]) -> &mut [u8] {
    // SAFETY: no padding; callers uphold validity for bool.
    unsafe {
        std::slice::from_raw_parts_mut(data.as_mut_ptr().cast::<u8>(), std::mem::size_of_val(data))
    }
}
